"""Options of a deterministic Stitch run, as one immutable value object."""

from __future__ import annotations

from dataclasses import dataclass

MATCH_KEYS: tuple[str, ...] = ("email", "phone", "fk", "loyalty_id")


@dataclass(frozen=True)
class DeterministicSettings:
    """How records are normalised, matched and flagged.

    The junk lists hold *normalised* values (lower-case emails, 10-digit phones).
    """

    match_on: tuple[str, ...] = MATCH_KEYS
    """Keys that connect records: email, phone, fk (each fk_* column on its own), loyalty_id."""
    bad_value_max_given_names: int | None = 20
    """An email or phone seen with more distinct given names than this is ignored for matching
    (Amperity's default bad-value rule); None turns the rule off."""
    supersized_threshold: int = 500
    """Records of a cluster with more records than this get is_supersized."""
    id_seed: str = "amperity-pipelines"
    """Salt of the hash that names new clusters; changing it changes every new Amperity ID."""
    junk_email_domains: tuple[str, ...] = (
        "noemail.com",
        "no-email.com",
        "nomail.com",
        "none.com",
        "noreply.com",
        "donotreply.com",
        "test.com",
        "example.com",
    )
    junk_email_locals: tuple[str, ...] = (
        "test",
        "none",
        "noemail",
        "no-email",
        "nomail",
        "noreply",
        "no-reply",
        "donotreply",
        "null",
        "na",
        "n/a",
        "unknown",
        "nobody",
        "asdf",
    )
    junk_phones: tuple[str, ...] = ("1234567890", "0123456789", "9876543210")
    """On top of these, any number made of one repeated digit (0000000000, 5555555555) is junk."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "match_on", tuple(self.match_on))
        unknown = [key for key in self.match_on if key not in MATCH_KEYS]
        if unknown:
            raise ValueError(f"unknown match key(s) {', '.join(unknown)}: expected some of {', '.join(MATCH_KEYS)}")
        if self.bad_value_max_given_names is not None and self.bad_value_max_given_names < 1:
            raise ValueError("bad_value_max_given_names must be at least 1 (or None to turn the rule off)")
        if self.supersized_threshold < 1:
            raise ValueError("supersized_threshold must be at least 1")
