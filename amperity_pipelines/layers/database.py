"""Database layer: the customer 360 tables (`config.standard_tables`), built in DuckDB from Stitch
output and tagged transaction tables, and the tenant's custom Spark SQL database tables."""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from amperity_pipelines import c360
from amperity_pipelines.config.loader import DomainTable, Tenant
from amperity_pipelines.config.models import DatabaseSpec
from amperity_pipelines.config.standard_tables import C360_TABLES, database_storage_name
from amperity_pipelines.engines.sql import transpile
from amperity_pipelines.layers.session import open_session
from amperity_pipelines.storage.lakehouse import Lakehouse

STREAM_BATCH_ROWS = 1 << 17


@dataclass
class TableReport:
    table: str
    rows: int
    columns: list[tuple[str, str]]
    version: int


def transaction_tables(tenant: Tenant) -> list[DomainTable]:
    """Domain tables with txn-item/* tags: the sources of Unified Itemized Transactions."""
    return [t for t in tenant.domain_tables() if any(tag.startswith("txn-item/") for tags in t.tags.values() for tag in tags)]


def datasource_priorities(tenant: Tenant, priorities: dict[str, int]) -> dict[str, int]:
    """Priorities keyed by datasource (`Source:Feed`); a key naming a whole source covers its feeds."""
    out: dict[str, int] = {}
    for table in tenant.stitched_tables():
        for key in (table.name, table.source, table.key):
            if key in priorities:
                out[table.name] = priorities[key]
                break
    return out


def c360_relation(tenant: Tenant, con: duckdb.DuckDBPyConnection, database: DatabaseSpec, table: str) -> duckdb.DuckDBPyRelation:
    """The customer 360 table `table` of `database`, as a relation over the tables of `con`
    (its inputs by their SQL names; the column check calls it over empty tables)."""
    if table == "Merged_Customers":
        return c360.merged_customers(
            con,
            "Unified_Coalesced",
            source_priority=datasource_priorities(tenant, database.source_priority),
            field_priority={group: datasource_priorities(tenant, p) for group, p in database.field_priority.items()},
        )
    if table == "Unified_Itemized_Transactions":
        sources = [c360.TxnSource.from_tags(t.name, t.name, t.tags) for t in transaction_tables(tenant)]
        return c360.unified_itemized_transactions(con, sources, unified_coalesced="Unified_Coalesced")
    if table == "Unified_Transactions":
        return c360.unified_transactions(con, "Unified_Itemized_Transactions")
    if table == "Transaction_Attributes":
        return c360.transaction_attributes(con, "Unified_Transactions")
    if table == "Customer_360":
        return c360.customer_360(con, "Merged_Customers", "Transaction_Attributes")
    raise KeyError(f"{table!r} is not a customer 360 table")


def build_database_table(tenant: Tenant, lakehouse: Lakehouse, database: DatabaseSpec, table: str) -> TableReport:
    con = open_session(tenant, lakehouse, database=database.name)
    if table in C360_TABLES:
        relation = c360_relation(tenant, con, database, table)
    else:
        custom = next(t for t in database.tables if t.name == table)
        relation = con.sql(transpile(tenant.sql_files[custom.sql], read="spark"))
    # Streamed into Delta batch by batch: Unified Itemized Transactions of 10M order lines would
    # otherwise sit whole in memory as Arrow (~4 GB) before the first byte is written.
    result = relation.to_arrow_reader(STREAM_BATCH_ROWS)
    stored = database_storage_name(database.name, table)
    version = lakehouse.write("database", stored, result, description=f"{database.name}.{table}")
    return TableReport(table, lakehouse.row_count("database", stored), [(f.name, str(f.type)) for f in result.schema], version)
