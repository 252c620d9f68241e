"""The Great Expectations a tenant may write next to a feed, with their keyword arguments.

Why a table of our own: importing great_expectations takes 10-20 s, far too slow for the config
loader (which runs on every Dagster code-location load), yet a typo in an expectation's name or
argument must still fail at load with a file and line. tests/quality/test_feed_checks.py holds
this table against GX's own expectation classes, so it cannot drift from the installed version.
Left out on purpose: expectations GX runs only on SQL (LIKE patterns, query comparisons, another
table's row count) and ones whose arguments are not plain YAML (KL divergence partitions).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ExpectationArgs:
    required: tuple[str, ...]
    optional: tuple[str, ...]

    @property
    def allowed(self) -> tuple[str, ...]:
        return self.required + self.optional


COMMON = ("description", "notes", "meta")
FILTERS = ("row_condition", "condition_parser")
_BETWEEN = ("min_value", "max_value", "strict_min", "strict_max")


def _args(*required: str, optional: tuple[str, ...] = (), filters: bool = True) -> ExpectationArgs:
    return ExpectationArgs(tuple(required), tuple(optional) + (FILTERS if filters else ()) + COMMON)


CATALOG: dict[str, ExpectationArgs] = {
    "expect_column_distinct_values_to_be_in_set": _args("column", "value_set"),
    "expect_column_distinct_values_to_contain_set": _args("column", "value_set"),
    "expect_column_distinct_values_to_equal_set": _args("column", "value_set"),
    "expect_column_max_to_be_between": _args("column", optional=_BETWEEN),
    "expect_column_mean_to_be_between": _args("column", optional=_BETWEEN),
    "expect_column_median_to_be_between": _args("column", optional=_BETWEEN),
    "expect_column_min_to_be_between": _args("column", optional=_BETWEEN),
    "expect_column_most_common_value_to_be_in_set": _args("column", "value_set", optional=("ties_okay",)),
    "expect_column_pair_values_a_to_be_greater_than_b": _args(
        "column_A", "column_B", optional=("mostly", "or_equal", "ignore_row_if")
    ),
    "expect_column_pair_values_to_be_equal": _args("column_A", "column_B", optional=("mostly", "ignore_row_if")),
    "expect_column_pair_values_to_be_in_set": _args(
        "column_A", "column_B", "value_pairs_set", optional=("mostly", "ignore_row_if")
    ),
    "expect_column_proportion_of_non_null_values_to_be_between": _args("column", optional=_BETWEEN),
    "expect_column_proportion_of_unique_values_to_be_between": _args("column", optional=_BETWEEN),
    "expect_column_quantile_values_to_be_between": _args("column", "quantile_ranges", optional=("allow_relative_error",)),
    "expect_column_stdev_to_be_between": _args("column", optional=_BETWEEN),
    "expect_column_sum_to_be_between": _args("column", optional=_BETWEEN),
    "expect_column_to_exist": _args("column", optional=("column_index",), filters=False),
    "expect_column_unique_value_count_to_be_between": _args("column", optional=_BETWEEN),
    "expect_column_value_lengths_to_be_between": _args("column", optional=("mostly", *_BETWEEN)),
    "expect_column_value_lengths_to_equal": _args("column", "value", optional=("mostly",)),
    "expect_column_value_z_scores_to_be_less_than": _args("column", "threshold", "double_sided", optional=("mostly",)),
    "expect_column_values_to_be_between": _args("column", optional=("mostly", *_BETWEEN)),
    "expect_column_values_to_be_dateutil_parseable": _args("column", optional=("mostly",)),
    "expect_column_values_to_be_decreasing": _args("column", optional=("mostly", "strictly")),
    "expect_column_values_to_be_in_set": _args("column", "value_set", optional=("mostly",)),
    "expect_column_values_to_be_in_type_list": _args("column", "type_list", optional=("mostly",)),
    "expect_column_values_to_be_increasing": _args("column", optional=("mostly", "strictly")),
    "expect_column_values_to_be_json_parseable": _args("column", optional=("mostly",)),
    "expect_column_values_to_be_null": _args("column", optional=("mostly",)),
    "expect_column_values_to_be_of_type": _args("column", "type_", optional=("mostly",)),
    "expect_column_values_to_be_unique": _args("column", optional=("mostly",)),
    "expect_column_values_to_match_json_schema": _args("column", "json_schema", optional=("mostly",)),
    "expect_column_values_to_match_regex": _args("column", "regex", optional=("mostly",)),
    "expect_column_values_to_match_regex_list": _args("column", "regex_list", optional=("mostly", "match_on")),
    "expect_column_values_to_match_strftime_format": _args("column", "strftime_format", optional=("mostly",)),
    "expect_column_values_to_not_be_in_set": _args("column", "value_set", optional=("mostly",)),
    "expect_column_values_to_not_be_null": _args("column", optional=("mostly",)),
    "expect_column_values_to_not_match_regex": _args("column", "regex", optional=("mostly",)),
    "expect_column_values_to_not_match_regex_list": _args("column", "regex_list", optional=("mostly",)),
    "expect_compound_columns_to_be_unique": _args("column_list", optional=("mostly", "ignore_row_if")),
    "expect_multicolumn_sum_to_equal": _args("column_list", "sum_total", optional=("mostly", "ignore_row_if")),
    "expect_multicolumn_values_to_be_equal": _args("column_list", optional=("mostly", "ignore_row_if")),
    "expect_select_column_values_to_be_unique_within_record": _args("column_list", optional=("mostly", "ignore_row_if")),
    "expect_table_column_count_to_be_between": _args(optional=("min_value", "max_value"), filters=False),
    "expect_table_column_count_to_equal": _args("value", filters=False),
    "expect_table_columns_to_match_ordered_list": _args("column_list", filters=False),
    "expect_table_columns_to_match_set": _args("column_set", optional=("exact_match",), filters=False),
    "expect_table_row_count_to_be_between": _args(optional=_BETWEEN),
    "expect_table_row_count_to_equal": _args("value"),
}

COLUMN_ARGS = ("column", "column_A", "column_B")
COLUMN_LIST_ARGS = ("column_list", "column_set")


def expectation_problems(name: str, kwargs: Mapping[str, Any], columns: Iterable[str]) -> list[tuple[tuple, str]]:
    """What is wrong with one tenant expectation, as (path under the expectation, message).

    `columns` are the table's columns: an argument naming a column must name one of them.
    Types the YAML cannot get wrong in a harmful way are left to GX when the check runs.
    """
    args = CATALOG.get(name)
    if args is None:
        close = difflib.get_close_matches(name, CATALOG, n=1)
        hint = f" (did you mean {close[0]}?)" if close else ""
        return [((name,), f"unknown expectation {name!r}{hint}; supported: the expect_* names in amperity_pipelines/quality/catalog.py")]
    problems: list[tuple[tuple, str]] = []
    for key in kwargs:
        if key not in args.allowed:
            problems.append(((name, key), f"{name} takes no argument {key!r}: expected {', '.join(args.allowed)}"))
    for key in args.required:
        if key not in kwargs:
            problems.append(((name,), f"{name} needs argument {key!r}"))
    known = list(columns)
    for key, value in kwargs.items():
        problems += [((name, key), message) for message in _value_problems(key, value, known)]
    return problems


def _value_problems(key: str, value: Any, columns: list[str]) -> list[str]:
    if key in COLUMN_ARGS:
        return [] if value in columns else [f"{key}: {value!r} is not a column of the table ({', '.join(columns)})"]
    if key in COLUMN_LIST_ARGS:
        if not isinstance(value, list) or not value:
            return [f"{key} must be a non-empty list of columns"]
        return [f"{key}: {v!r} is not a column of the table" for v in value if v not in columns]
    if key == "mostly" and not (isinstance(value, (int, float)) and not isinstance(value, bool) and 0 <= value <= 1):
        return [f"mostly must be a number from 0 to 1 (the share of non-null values that must pass), got {value!r}"]
    if key in ("regex", "regex_list"):
        patterns = value if isinstance(value, list) else [value]
        out = []
        for pattern in patterns:
            try:
                re.compile(pattern)
            except (re.error, TypeError) as err:
                out.append(f"{key}: {pattern!r} is not a valid regular expression ({err})")
        return out
    if key in ("value_set", "type_list") and not isinstance(value, list):
        return [f"{key} must be a list"]
    return []
