"""The expectation suite of a domain table, derived from its feed and the tenant's quality config.

What a feed already declares is what its table should satisfy: every field present with its
type, the primary key present and unique, values behind the profile tags Stitch relies on
(email, phone, birthdate, postal) well formed at the configured rates, and the row count close
to the previous load's. The tenant's own expectations (`expectations:` under the feed) follow.
Plain data here, no Great Expectations import: `gx_validation.py` turns it into GX objects.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timezone

import pyarrow as pa

from amperity_pipelines.config.loader import DomainTable
from amperity_pipelines.config.quality_models import FeedQualitySpec

EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$"
PHONE_PATTERN = r"^\+?[\s().\-]*(?:\d[\s().\-]*){10,15}$"
"""10 to 15 digits with the usual separators; Stitch keeps the last 10 digits."""
EARLIEST_BIRTHDATE = date(1900, 1, 1)
"""Excluded itself: 1900-01-01 is a placeholder value (Amperity's birthdate bad values)."""

# Python type of a value as pandas with Arrow dtypes hands it to GX, per feed field type.
GX_VALUE_TYPES = {
    "String": "str",
    "Integer": "int",
    "Float": "float",
    "Boolean": "bool",
    "Date": "date",
    "Datetime": "datetime",
}
SEMANTIC_FORMATS = ("email", "phone", "birthdate", "postal")


@dataclass(frozen=True)
class ExpectationConfig:
    type: str
    kwargs: dict
    origin: str
    """Why the suite holds it: the feed, a semantic tag, the tenant's YAML..."""


@dataclass(frozen=True)
class TableSuite:
    name: str
    expectations: list[ExpectationConfig] = field(default_factory=list)
    key_columns: list[str] = field(default_factory=list)
    """Columns that identify a failing row in examples (the primary key)."""


def semantic_columns(table: DomainTable) -> dict[str, list[str]]:
    """email/phone/birthdate/postal -> the table's columns tagged with it (custom variants like
    `email-work` included; tag groups such as `email-opt/email` are other vocabularies)."""
    found: dict[str, list[str]] = {}
    for column, tags in table.tags.items():
        for tag in tags:
            if "/" in tag:
                continue
            for semantic in SEMANTIC_FORMATS:
                if (tag == semantic or tag.startswith(semantic + "-")) and column not in found.get(semantic, []):
                    found.setdefault(semantic, []).append(column)
    return found


def derive_suite(
    table: DomainTable,
    schema: Mapping[str, pa.DataType],
    quality: FeedQualitySpec,
    *,
    previous_rows: int | None,
    today: date,
    row_count: bool = True,
) -> TableSuite:
    """The suite of one domain table. `schema` is the stored table's (column -> Arrow type);
    `row_count=False` leaves the row-count expectation out (a sampled batch has no true count)."""
    out: list[ExpectationConfig] = []
    if table.feed is not None:
        for spec in table.feed.fields:
            out.append(ExpectationConfig("expect_column_to_exist", {"column": spec.name}, "feed field"))
            out.append(
                ExpectationConfig(
                    "expect_column_values_to_be_of_type",
                    {"column": spec.name, "type_": GX_VALUE_TYPES.get(spec.type, "Decimal")},
                    f"feed field type {spec.type}",
                )
            )
    keys = [k for k in table.primary_key if k in schema]
    for key in keys:
        out.append(ExpectationConfig("expect_column_values_to_not_be_null", {"column": key}, "primary key"))
    if len(keys) == 1:
        out.append(ExpectationConfig("expect_column_values_to_be_unique", {"column": keys[0]}, "primary key"))
    elif len(keys) > 1:
        out.append(ExpectationConfig("expect_compound_columns_to_be_unique", {"column_list": keys}, "primary key"))
    out += _semantic_expectations(table, schema, quality, today)
    if row_count and previous_rows:
        low, high = quality.row_count_vs_previous
        out.append(
            ExpectationConfig(
                "expect_table_row_count_to_be_between",
                {"min_value": math.floor(previous_rows * low), "max_value": math.ceil(previous_rows * high)},
                f"row count vs previous load ({previous_rows:,} rows, allowed ratio {low:g}-{high:g})",
            )
        )
    if table.feed is not None:
        for spec in table.feed.expectations:
            out.append(ExpectationConfig(spec.type, dict(spec.kwargs), "tenant expectation"))
    return TableSuite(name=table.key, expectations=out, key_columns=keys)


def _semantic_expectations(table: DomainTable, schema, quality: FeedQualitySpec, today: date) -> list[ExpectationConfig]:
    out = []
    patterns = {
        "email": (EMAIL_PATTERN, quality.email_valid_share),
        "phone": (PHONE_PATTERN, quality.phone_valid_share),
        "postal": (quality.postal_pattern, quality.postal_valid_share),
    }
    for semantic, columns in semantic_columns(table).items():
        for column in columns:
            kind = schema.get(column)
            if kind is None:
                continue
            if semantic in patterns and (pa.types.is_string(kind) or pa.types.is_large_string(kind)):
                regex, share = patterns[semantic]
                out.append(
                    ExpectationConfig(
                        "expect_column_values_to_match_regex",
                        {"column": column, "regex": regex, "mostly": share},
                        f"semantic tag {semantic}: at least {share:.1%} well formed",
                    )
                )
            elif semantic == "birthdate" and (pa.types.is_date(kind) or pa.types.is_timestamp(kind)):
                low, high = (EARLIEST_BIRTHDATE, today)
                if pa.types.is_timestamp(kind):
                    zone = timezone.utc if kind.tz else None
                    low = datetime.combine(low, datetime.min.time(), tzinfo=zone)
                    high = datetime.combine(today, datetime.max.time(), tzinfo=zone)
                out.append(
                    ExpectationConfig(
                        "expect_column_values_to_be_between",
                        {"column": column, "min_value": low, "max_value": high, "strict_min": True, "mostly": quality.birthdate_valid_share},
                        f"semantic tag birthdate: after {EARLIEST_BIRTHDATE} and not in the future",
                    )
                )
    return out
