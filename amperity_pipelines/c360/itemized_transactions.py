"""Unified Itemized Transactions: every order line of every transaction source, with its Amperity ID.

A line's Amperity ID comes through its foreign key: the ID whose Unified Coalesced rows carry
that FK value, provided the value belongs to exactly one Amperity ID. A line whose FK is unknown
or ambiguous keeps a NULL amperity_id (it is not dropped). FK values compare the way Stitch
matches them: trimmed and case-insensitive.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlglot import exp

from amperity_pipelines.config.tags import txn_column
from amperity_pipelines.engines.sql_templates import column, fill, identifier_key, render, table, union_all

if TYPE_CHECKING:
    import duckdb

MONEY = "DECIMAL(38, 2)"

# Standard columns in output order, with their types; a source may fill any subset.
UIT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("order_id", "VARCHAR"),
    ("order_datetime", "TIMESTAMP"),
    ("product_id", "VARCHAR"),
    ("item_quantity", "BIGINT"),
    ("item_revenue", MONEY),
    ("is_return", "BOOLEAN"),
    ("is_cancellation", "BOOLEAN"),
    ("order_discount_amount", MONEY),
    ("order_shipping_amount", MONEY),
    ("purchase_brand", "VARCHAR"),
    ("purchase_channel", "VARCHAR"),
    ("digital_channel", "VARCHAR"),
    ("store_id", "VARCHAR"),
    ("currency", "VARCHAR"),
    ("payment_method", "VARCHAR"),
    ("customer_id", "VARCHAR"),
    ("item_cost", MONEY),
    ("item_discount_amount", MONEY),
    ("item_discount_percent", "DECIMAL(38, 4)"),
    ("item_list_price", MONEY),
    ("item_profit", MONEY),
    ("item_subtotal", MONEY),
    ("item_tax_amount", MONEY),
    ("unit_cost", MONEY),
    ("unit_discount_amount", MONEY),
    ("unit_list_price", MONEY),
    ("unit_profit", MONEY),
    ("unit_revenue", MONEY),
    ("unit_subtotal", MONEY),
    ("unit_tax_amount", MONEY),
)
_STANDARD = dict(UIT_COLUMNS)


@dataclass(frozen=True)
class TxnSource:
    """One domain table of order lines and how its columns map onto Unified Itemized Transactions."""

    table: str
    """DuckDB table or view holding the lines."""
    datasource: str
    columns: Mapping[str, str] = field(default_factory=dict)
    """UIT column -> source column. Columns outside UIT_COLUMNS are carried as custom attributes."""
    fk_column: str = ""
    """Source column holding the customer key (the one txn-item/fk-* column)."""
    unified_fk: str = ""
    """Unified Coalesced column holding the same key, e.g. fk_pos_customer."""

    def __post_init__(self) -> None:
        if not self.fk_column or not self.unified_fk:
            raise ValueError(f"transaction source {self.datasource!r} needs fk_column and unified_fk")
        if "order_id" not in self.columns:
            raise ValueError(f"transaction source {self.datasource!r} maps no order_id column")

    @classmethod
    def from_tags(cls, table: str, datasource: str, tags: Mapping[str, Sequence[str]]) -> TxnSource:
        """Build from a feed's `column -> [tags]`: txn-item/<name> maps a column, txn-item/fk-<ns> is the key."""
        columns: dict[str, str] = {}
        fks: list[tuple[str, str]] = []
        for source_column, column_tags in tags.items():
            for tag in column_tags:
                target = txn_column(tag)
                if target is None:
                    continue
                if target.startswith("fk_"):
                    fks.append((source_column, target))
                else:
                    columns[target] = source_column
        if len(fks) != 1:
            raise ValueError(
                f"transaction source {datasource!r} must tag exactly one column txn-item/fk-<namespace>, "
                f"found {len(fks)}"
            )
        ((fk_column, unified_fk),) = fks
        return cls(table=table, datasource=datasource, columns=columns, fk_column=fk_column, unified_fk=unified_fk)


def fk_owner_query(unified_coalesced: str, unified_fk: str) -> exp.Expression:
    """(fk_value, amperity_id) for every FK value that belongs to exactly one Amperity ID."""
    return fill(
        """
        SELECT $key AS fk_value, MIN(amperity_id) AS amperity_id
        FROM $uc WHERE $key IS NOT NULL
        GROUP BY $key
        HAVING COUNT(DISTINCT amperity_id) = 1
        """,
        key=identifier_key(column(unified_fk)),
        uc=table(unified_coalesced),
    )


def source_query(source: TxnSource, unified_coalesced: str, extras: Sequence[str]) -> exp.Expression:
    """One source's lines in UIT shape: standard columns typed, then `extras` (NULL when unmapped)."""
    mapped = dict(source.columns)
    mapped.setdefault("customer_id", source.fk_column)
    values = []
    for name, type_ in UIT_COLUMNS:
        value = column(mapped[name], "t") if name in mapped else exp.null()
        values.append(exp.cast(value, type_, dialect="duckdb").as_(name))
    values += [(column(mapped[name], "t") if name in mapped else exp.null()).as_(name) for name in extras]
    return fill(
        """
        SELECT owner.amperity_id, CAST($datasource AS VARCHAR) AS datasource, $values
        FROM $source AS t
        LEFT JOIN ($owners) AS owner ON owner.fk_value = $key
        """,
        datasource=source.datasource,
        values=values,
        source=table(source.table),
        owners=fk_owner_query(unified_coalesced, source.unified_fk),
        key=identifier_key(column(source.fk_column, "t")),
    )


def unified_itemized_transactions_query(unified_coalesced: str, sources: Sequence[TxnSource]) -> exp.Expression:
    if not sources:
        raise ValueError("Unified Itemized Transactions needs at least one transaction source")
    extras = list(dict.fromkeys(name for s in sources for name in s.columns if name not in _STANDARD))
    return union_all([source_query(source, unified_coalesced, extras) for source in sources])


def unified_itemized_transactions(
    con: duckdb.DuckDBPyConnection,
    sources: Sequence[TxnSource],
    *,
    unified_coalesced: str = "unified_coalesced",
) -> duckdb.DuckDBPyRelation:
    """Union of all `sources` with amperity_id resolved through `unified_coalesced` on `con`."""
    available = {
        name.lower() for name in con.sql(render(fill("SELECT * FROM $t LIMIT 0", t=table(unified_coalesced)))).columns
    }
    missing = sorted({s.unified_fk for s in sources if s.unified_fk.lower() not in available})
    if missing:
        raise ValueError(f"{unified_coalesced} has no column {', '.join(missing)}: no stitched source carries that FK")
    return con.sql(render(unified_itemized_transactions_query(unified_coalesced, sources)))
