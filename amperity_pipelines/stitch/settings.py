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
    """No Amperity ID holds more records than this: shared keys are all equally strong, so the
    records of a larger cluster stand alone. "More than", like bad_value_max_given_names."""
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


# --- Probabilistic Stitch -------------------------------------------------------------------

STRATEGIES: tuple[str, ...] = (
    "dnf1", "dnf2", "dnf3", "dnf4", "dnf5", "dnf6", "dnf7", "dnf8", "dnf9", "dnf10",
    "email", "phone", "fk", "address", "company", "name",
    "birthdate-postal", "birthdate-city", "surname-birthdate", "given-birthdate", "initials-birthdate",
    "names-postal", "names-city", "house-postal", "house-street",
)  # fmt: skip
DEFAULT_STRATEGIES: tuple[str, ...] = (
    "dnf1", "dnf3", "dnf4", "dnf5", "dnf6", "dnf7", "dnf8", "email", "phone", "fk",
    "birthdate-postal", "birthdate-city", "surname-birthdate", "given-birthdate", "initials-birthdate",
    "names-postal", "names-city",
)  # fmt: skip
"""Amperity's defaults plus keys that survive one mistyped field (see blocking.strategy_key);
house-postal is left out because it pairs records that share only a surname and an address,
household evidence that the default rules are there to keep apart."""
CLASSIFIERS: tuple[str, ...] = ("fk-priority", "sk-priority")
RUN_TYPES: tuple[str, ...] = ("normal", "incremental", "one-to-one")
RULE_CONDITIONS: dict[str, str] = {
    # condition -> "cluster" or "separate": what a rule with it does when it fires
    "present-and-equal": "cluster",
    "fuzzy-similar": "cluster",
    "present-and-not-equal": "separate",
    "fuzzy-different": "separate",
    "incompatible-names": "separate",
    "different-birthdates": "separate",
    "different-generations": "separate",
    "different-companies": "separate",
}
# The semantic each fuzzy/* condition looks at; the generic conditions name theirs.
RULE_SEMANTICS: dict[str, str] = {
    "incompatible-names": "given_name",
    "different-birthdates": "birthdate",
    "different-generations": "generational_suffix",
    "different-companies": "company",
}
RULE_VALUE_SEMANTICS: tuple[str, ...] = (
    "given_name", "surname", "email", "phone", "address", "postal", "city", "state", "birthdate",
    "gender", "company", "generational_suffix",
)  # fmt: skip


@dataclass(frozen=True)
class Rule:
    """A deterministic rule, evaluated top-down before the model: the first one that fires decides.

    A cluster rule that fires scores the pair 5.0; a separate rule scores it 0.0, and its records
    may never share a cluster (clustering splits components that hold such a pair). A rule fires
    only when both records have the value. `semantic` is needed by the generic conditions
    (present-and-equal, fuzzy-similar, present-and-not-equal, fuzzy-different) and is implied by
    the others.
    """

    condition: str
    semantic: str | None = None

    def __post_init__(self) -> None:
        if self.condition not in RULE_CONDITIONS:
            raise ValueError(f"unknown rule condition {self.condition!r}: expected one of {', '.join(RULE_CONDITIONS)}")
        implied = RULE_SEMANTICS.get(self.condition)
        semantic = self.semantic or implied
        if semantic is None:
            raise ValueError(f"rule {self.condition!r} needs a semantic")
        if implied and semantic != implied:
            raise ValueError(f"rule {self.condition!r} looks at {implied}, not {semantic}")
        if semantic not in RULE_VALUE_SEMANTICS:
            raise ValueError(f"unknown rule semantic {semantic!r}: expected one of {', '.join(RULE_VALUE_SEMANTICS)}")
        object.__setattr__(self, "semantic", semantic)

    @property
    def action(self) -> str:
        return RULE_CONDITIONS[self.condition]

    @property
    def name(self) -> str:
        return f"{self.action}:{self.condition}:{self.semantic}"


@dataclass(frozen=True)
class BadValueRule:
    """A `semantic` value seen with more than `threshold` distinct `proxy` values is ignored."""

    semantic: str
    proxy: str
    threshold: int

    def __post_init__(self) -> None:
        for field_ in (self.semantic, self.proxy):
            if field_ not in BAD_VALUE_SEMANTICS:
                raise ValueError(f"unknown bad-value semantic {field_!r}: expected one of {', '.join(BAD_VALUE_SEMANTICS)}")
        if self.threshold < 1:
            raise ValueError("a bad-value threshold must be at least 1")


TF_ADJUSTABLE: tuple[str, ...] = ("given_name", "surname", "address", "email")
BAD_VALUE_SEMANTICS: tuple[str, ...] = ("given_name", "surname", "email", "phone", "address")
DEFAULT_BAD_VALUE_RULES: tuple[BadValueRule, ...] = (
    BadValueRule("email", "given_name", 20),
    BadValueRule("email", "surname", 20),
    BadValueRule("phone", "given_name", 20),
    BadValueRule("address", "given_name", 40),
)
DEFAULT_RULES: tuple[Rule, ...] = (
    Rule("different-generations"),
    Rule("different-birthdates"),
    Rule("incompatible-names"),
)


@dataclass(frozen=True)
class StitchSettings:
    """Options of a probabilistic Stitch run (Amperity's Stitch settings, in snake case)."""

    threshold: int = 3
    """Pairs scoring at least this (1 Weak .. 5 Exact; default 3 High) are clustered."""
    strategies: tuple[str, ...] = DEFAULT_STRATEGIES
    """Blocking strategies (product notes 3.3)."""
    block_size_cap: int = 1000
    """Blocks with more records are skipped and listed in the result's oversized_blocks."""
    classifier: str = "fk-priority"
    """fk-priority: identical FK (5.0) wins over conflicting separation keys (0.0); sk-priority: the reverse."""
    rules: tuple[Rule, ...] = DEFAULT_RULES
    """Ordered rules applied after the FK/SK overrides and before the model."""
    model_fallback: bool = True
    """Pairs no rule decides are scored by the model; False leaves them unclustered (score 0.0)."""
    cap_weak_without_unique: bool = True
    """A pair on which no unique attribute (email, phone, street address, birthdate) agrees
    scores Weak at most, as in Amperity's categories; False lets the match weight alone decide."""
    bad_value_rules: tuple[BadValueRule, ...] = DEFAULT_BAD_VALUE_RULES
    allow_business_email: bool = False
    """Keep role inboxes (info@, sales@...) that the built-in junk list otherwise drops."""
    nickname_changes: tuple[tuple[str, str, str], ...] = ()
    """(canonical_name, nickname, ADD|REMOVE) applied to the shipped nickname list."""
    tf_adjusted: tuple[str, ...] = ("given_name", "surname", "address", "email")
    """Comparisons whose exact-match weight depends on how common the shared value is."""
    supersized_threshold: int = 500
    """No Amperity ID holds more records than this: a larger cluster is split along its weakest
    links (clustering.cap_clusters). Only a group of identical records can stay larger, flagged
    is_supersized. "More than", like the bad-value rules' thresholds."""
    trivial_duplicates: bool = True
    """Collapse records with identical preprocessed PII before blocking (expanded back at the end)."""
    u_sample_pairs: int = 300_000
    """Random record pairs drawn to estimate the u probabilities."""
    em_iterations: int = 30
    seed: int = 42
    """Seed of the random pairs, so that a run is reproducible."""
    run_type: str = "normal"
    """normal, incremental (attach new records only) or one-to-one (one Amperity ID per ck)."""
    id_seed: str = "amperity-pipelines"
    error_threshold: float = 0.01
    """Share of the records whose birthdate, create_dt or update_dt may fail to parse (they
    become NULL and are reported); a column with more refuses the run. 0.05 or "5%"."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "error_threshold", parse_share(self.error_threshold, "error_threshold"))
        object.__setattr__(self, "strategies", tuple(dict.fromkeys(self.strategies)))
        object.__setattr__(self, "rules", tuple(self.rules))
        object.__setattr__(self, "bad_value_rules", tuple(self.bad_value_rules))
        object.__setattr__(self, "nickname_changes", tuple(tuple(c) for c in self.nickname_changes))
        object.__setattr__(self, "tf_adjusted", tuple(self.tf_adjusted))
        unknown = [s for s in self.strategies if s not in STRATEGIES]
        if unknown:
            raise ValueError(f"unknown blocking strategy {', '.join(unknown)}: expected some of {', '.join(STRATEGIES)}")
        if self.threshold not in (1, 2, 3, 4, 5):
            raise ValueError("threshold must be one of 1, 2, 3, 4, 5")
        if self.classifier not in CLASSIFIERS:
            raise ValueError(f"classifier must be one of {', '.join(CLASSIFIERS)}")
        if self.run_type not in RUN_TYPES:
            raise ValueError(f"run_type must be one of {', '.join(RUN_TYPES)}")
        bad_tf = [f for f in self.tf_adjusted if f not in TF_ADJUSTABLE]
        if bad_tf:
            raise ValueError(f"term-frequency adjustment exists for {', '.join(TF_ADJUSTABLE)}, not {', '.join(bad_tf)}")
        for name, value, low in (
            ("block_size_cap", self.block_size_cap, 2),
            ("supersized_threshold", self.supersized_threshold, 1),
            ("u_sample_pairs", self.u_sample_pairs, 1000),
            ("em_iterations", self.em_iterations, 1),
        ):
            if value < low:
                raise ValueError(f"{name} must be at least {low}")
        for rule in self.rules:
            if not isinstance(rule, Rule):
                raise TypeError(f"rules must be Rule objects, not {type(rule).__name__}")


def parse_share(value: object, name: str) -> float:
    """A share between 0 and 1 from a number (0.05) or a percentage ("5%")."""
    text = str(value).strip()
    try:
        share = float(text[:-1]) / 100 if text.endswith("%") else float(text)
    except ValueError:
        raise ValueError(f"{name} {value!r}: expected a share such as 0.05 or a percentage such as 5%") from None
    if not 0 <= share <= 1:
        raise ValueError(f"{name} {value!r}: expected a share between 0 and 1 (0% to 100%)")
    return share


PRESETS: dict[str, dict[str, object]] = {
    # Files of people where any field may be wholly mistyped or replaced (registries, surveys,
    # the Febrl benchmarks), with no households to keep apart: a different given name or
    # birthdate is weighed by the model instead of separating the pair outright, names and
    # places may carry a pair on their own, and blocking adds the house number with the postal
    # code or with the street's first letters.
    # Not for retail data: there the default rules keep household members apart.
    "record-linkage": {
        "rules": (Rule("different-generations"),),
        "cap_weak_without_unique": False,
        "strategies": (*DEFAULT_STRATEGIES, "house-postal", "house-street"),
    },
}


def preset(name: str, **overrides: object) -> StitchSettings:
    """The settings of a named preset (PRESETS), with `overrides` on top."""
    if name not in PRESETS:
        raise ValueError(f"unknown Stitch settings preset {name!r}: expected one of {', '.join(PRESETS)}")
    return StitchSettings(**{**PRESETS[name], **overrides})


def settings_to_dict(settings: StitchSettings) -> dict[str, object]:
    """Plain data (JSON-ready) of `settings`; `settings_from_dict` reads it back."""
    data = {name: getattr(settings, name) for name in settings.__dataclass_fields__}
    data["rules"] = [{"condition": r.condition, "semantic": r.semantic} for r in settings.rules]
    data["bad_value_rules"] = [
        {"semantic": r.semantic, "proxy": r.proxy, "threshold": r.threshold} for r in settings.bad_value_rules
    ]
    return {k: list(v) if isinstance(v, tuple) else v for k, v in data.items()}


def settings_from_dict(data: dict[str, object]) -> StitchSettings:
    values = dict(data)
    values["rules"] = tuple(Rule(**r) for r in values.get("rules", []))
    values["bad_value_rules"] = tuple(BadValueRule(**r) for r in values.get("bad_value_rules", []))
    unknown = set(values) - set(StitchSettings.__dataclass_fields__)
    if unknown:
        raise ValueError(f"unknown Stitch setting(s): {', '.join(sorted(unknown))}")
    return StitchSettings(**values)
