"""Customer 360: the best profile of each Amperity ID next to its transaction attributes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from sqlglot import exp

from amperity_pipelines.engines.sql_templates import column, fill, render, table

if TYPE_CHECKING:
    import duckdb

PROFILE: tuple[str, ...] = (
    "given_name",
    "surname",
    "email",
    "phone",
    "address",
    "city",
    "state",
    "postal",
    "birthdate",
    "gender",
)


def customer_360_query(merged: str, transaction_attributes: str, attribute_columns: Sequence[str]) -> exp.Expression:
    """Every Merged Customers row, with `attribute_columns` of Transaction Attributes (NULL when none)."""
    return fill(
        """
        SELECT m.amperity_id, $profile, $attributes
        FROM $merged AS m
        LEFT JOIN $ta AS t ON t.amperity_id = m.amperity_id
        """,
        profile=[column(name, "m") for name in PROFILE],
        attributes=[column(name, "t") for name in attribute_columns if name != "amperity_id"],
        merged=table(merged),
        ta=table(transaction_attributes),
    )


def customer_360(con: duckdb.DuckDBPyConnection, merged: str, transaction_attributes: str) -> duckdb.DuckDBPyRelation:
    attributes = con.sql(render(fill("SELECT * FROM $t LIMIT 0", t=table(transaction_attributes)))).columns
    return con.sql(render(customer_360_query(merged, transaction_attributes, attributes)))
