"""Tenant config of the data-quality checks: expectations a feed adds, and the `quality:` thresholds."""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from amperity_pipelines.config.base import Share, StrictModel


class ExpectationSpec(StrictModel):
    """A Great Expectations expectation a tenant adds to a feed's suite. Written in YAML as a
    one-key mapping, `- expect_column_values_to_be_in_set: {column: channel, value_set: [web]}`;
    the loader checks the name and keyword arguments against `quality/catalog.py`."""

    type: str
    kwargs: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _one_key_mapping(cls, value):
        if isinstance(value, str):
            return {"type": value}
        if isinstance(value, dict) and len(value) == 1 and "type" not in value:
            ((name, kwargs),) = value.items()
            return {"type": name, "kwargs": {} if kwargs is None else kwargs}
        if isinstance(value, dict) and "type" not in value:
            raise ValueError(
                "an expectation is a one-key mapping: its name, then its arguments, "
                "e.g. `- expect_column_values_to_not_be_null: {column: email}`"
            )
        return value


STITCH_CHECKS: tuple[str, ...] = (
    "one_id_per_record",
    "no_null_ids",
    "cluster_sizes",
    "supersized_clusters",
    "dedupe_rate",
    "dedupe_rate_jump",
    "id_stability",
    "blocking_coverage",
)
"""Stitch checks besides the `ids_with_many_<values>` ones, which follow `values_per_id`."""

VALUES_PER_ID_CHECKS: dict[str, str] = {
    "given_name": "ids_with_many_given_names",
    "surname": "ids_with_many_surnames",
    "email": "ids_with_many_emails",
    "phone": "ids_with_many_phones",
    "address": "ids_with_many_addresses",
    "postal": "ids_with_many_postal_codes",
    "birthdate": "ids_with_many_birthdates",
}
"""Unified Coalesced column -> the check counting Amperity IDs with too many distinct values of it."""

US_OR_CANADA_POSTAL = r"^(?:\d{5}(?:-?\d{4})?|[A-Za-z]\d[A-Za-z][ -]?\d[A-Za-z]\d)$"


class ValuesPerIdLimit(StrictModel):
    """At most `max_share` of Amperity IDs may have more than `more_than` distinct values."""

    more_than: int = Field(ge=1)
    max_share: Share


class FeedQualitySpec(StrictModel):
    """Defaults of the expectation suite derived from every domain table (quality.feeds)."""

    blocking: bool = False
    """A failing feed check stops what is downstream of its table in the same run (Stitch...)."""
    email_valid_share: Share = 0.95
    """Smallest share of non-empty email values that must look like local@domain.tld."""
    phone_valid_share: Share = 0.90
    """Smallest share of non-empty phone values with 10 to 15 digits (separators allowed)."""
    birthdate_valid_share: Share = 0.99
    """Smallest share of birthdates from 1900-01-01 to today."""
    postal_valid_share: Share = 0.95
    postal_pattern: str = US_OR_CANADA_POSTAL
    """Regular expression (Python syntax) a valid postal code matches; default US ZIP(+4) or Canadian."""
    row_count_vs_previous: tuple[float, float] = (0.9, 3.0)
    """Allowed ratio of the table's rows to its previous Delta version's (the previous load)."""
    sample_rows: int = Field(default=100_000, ge=1_000)
    """Tables with more rows are validated on a random sample this size (exact key checks in DuckDB)."""
    examples: int = Field(default=5, ge=1, le=50)
    """Failing rows shown per failing expectation."""

    @field_validator("postal_pattern")
    @classmethod
    def _compiles(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as err:
            raise ValueError(f"postal_pattern is not a valid regular expression: {err}") from None
        return value

    @field_validator("row_count_vs_previous")
    @classmethod
    def _band(cls, value: tuple[float, float]) -> tuple[float, float]:
        if not 0 <= value[0] <= value[1]:
            raise ValueError("row_count_vs_previous is [lowest ratio, highest ratio] with 0 <= lowest <= highest")
        return value


def _default_values_per_id() -> dict[str, ValuesPerIdLimit]:
    # Given names: Amperity's Stitch benchmark calls ~0.011% of IDs with more than 3 optimal;
    # 0.5% leaves room for messy sources while still catching real over-clustering.
    return {
        "given_name": ValuesPerIdLimit(more_than=3, max_share=0.005),
        "email": ValuesPerIdLimit(more_than=3, max_share=0.01),
        "phone": ValuesPerIdLimit(more_than=3, max_share=0.01),
        "birthdate": ValuesPerIdLimit(more_than=2, max_share=0.005),
    }


class StitchQualitySpec(StrictModel):
    """Thresholds of the Stitch checks (quality.stitch) and which of them block downstream."""

    max_supersized_clusters: int = Field(default=10, ge=0)
    supersized_min_size: int = Field(default=64, ge=2)
    """Records in a cluster from which it counts as supersized (Amperity's 64+ QA bucket)."""
    max_share_ids_over_20: Share = 0.001
    """Largest share of Amperity IDs with more than 20 records (sizes past 20 hint at over-clustering)."""
    dedupe_rate: tuple[Share, Share] = (0.0, 0.9)
    """[lowest, highest] (records - Amperity IDs) / records."""
    max_dedupe_rate_jump: Share = 0.05
    """Largest change of the dedupe rate against the previous Stitch run (0.05 = 5 points)."""
    values_per_id: dict[Literal[tuple(VALUES_PER_ID_CHECKS)], ValuesPerIdLimit | None] = Field(
        default_factory=_default_values_per_id
    )
    """Per Unified Coalesced column; entries given here replace the defaults, `null` drops one."""
    max_share_ids_changed: Share = 0.05
    """Largest share of the previous run's records whose Amperity ID changed (jitter)."""
    min_blocking_coverage: Share = 0.9
    """Smallest share of records with at least one blocking key that is not oversized."""
    blocking: list[str] = ["one_id_per_record", "no_null_ids", "supersized_clusters", "dedupe_rate"]
    """Checks whose failure stops the customer 360 rebuild and every export after it; the
    others warn (a jump in dedupe rate can be a new source, jitter can be a legitimate split)."""

    @field_validator("values_per_id", mode="before")
    @classmethod
    def _over_defaults(cls, value):
        if isinstance(value, dict):
            return {**_default_values_per_id(), **value}
        return value

    @field_validator("values_per_id")
    @classmethod
    def _drop_nulls(cls, value: dict) -> dict:
        return {name: limit for name, limit in value.items() if limit is not None}

    @field_validator("dedupe_rate")
    @classmethod
    def _band(cls, value: tuple[float, float]) -> tuple[float, float]:
        if value[0] > value[1]:
            raise ValueError("dedupe_rate is [lowest, highest] with lowest <= highest")
        return value

    @field_validator("blocking")
    @classmethod
    def _known_checks(cls, value: list[str]) -> list[str]:
        known = [*STITCH_CHECKS, *VALUES_PER_ID_CHECKS.values()]
        for name in value:
            if name not in known:
                raise ValueError(f"unknown Stitch check {name!r}: expected one of {', '.join(known)}")
        return value

    def check_names(self) -> list[str]:
        return [*STITCH_CHECKS, *(VALUES_PER_ID_CHECKS[column] for column in self.values_per_id)]


class QualitySpec(StrictModel):
    """tenant.yaml `quality:`: feed checks (Great Expectations) and Stitch checks."""

    feeds: FeedQualitySpec = FeedQualitySpec()
    stitch: StitchQualitySpec = StitchQualitySpec()
