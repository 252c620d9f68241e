"""Activation layer: Presto SQL queries over the customer 360, and orchestrations that send a
query result or a database table to a destination through a data template."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pyarrow as pa

from amperity_pipelines.config.loader import Tenant
from amperity_pipelines.config.models import OrchestrationSpec
from amperity_pipelines.config.standard_tables import database_storage_name, is_standard, standard_table
from amperity_pipelines.destinations import apply_template, write_export
from amperity_pipelines.engines.sql import duckdb_settings, referenced_tables, transpile
from amperity_pipelines.layers.session import open_session
from amperity_pipelines.storage.lakehouse import Lakehouse


@dataclass
class QueryReport:
    name: str
    rows: int
    columns: list[tuple[str, str]]
    version: int
    sql: str


@dataclass
class ExportReport:
    orchestration: str
    destination: str
    files: list[str]
    rows: int
    bytes: int


def run_sql(
    tenant: Tenant,
    lakehouse: Lakehouse,
    sql: str,
    *,
    dialect: str = "presto",
    limit: int | None = None,
    source: str | None = None,
) -> pa.Table:
    """Run an ad-hoc query (Presto SQL by default) against the tenant's current tables.

    The query may read the tenant's tables and nothing else: one that calls a table function,
    names a file or is not a SELECT is refused before anything runs (`engines.sql`), and the
    query runs on a locked session (`layers.session`) that cannot open any other file.
    `source` names the query's file in errors."""
    reads = referenced_tables(sql, read=dialect, source=source)
    statement = transpile(sql, read=dialect, source=source)
    con = open_session(tenant, lakehouse, sql_settings=duckdb_settings(dialect))
    available = {row[0] for row in con.sql("SELECT view_name FROM duckdb_views() WHERE NOT internal AND view_name NOT LIKE '\\_\\_%' ESCAPE '\\'").fetchall()}
    missing = [t for t in reads if t not in available]
    if missing:
        raise ValueError(
            f"the query reads {', '.join(repr(t) for t in missing)}, which tenant {tenant.name} does not have "
            f"(or has not materialized yet); tables now: {', '.join(sorted(available))}"
        )
    relation = con.sql(statement)
    if limit is not None:
        relation = relation.limit(limit)
    return relation.to_arrow_table()


def run_query(tenant: Tenant, lakehouse: Lakehouse, name: str) -> QueryReport:
    query = tenant.queries[name]
    result = run_sql(tenant, lakehouse, query.sql, source=str(query.path))
    version = lakehouse.write("query", name, result, description=f"Result of query {name}")
    return QueryReport(name, result.num_rows, [(f.name, str(f.type)) for f in result.schema], version, query.sql)


def orchestration_data(tenant: Tenant, lakehouse: Lakehouse, orchestration: OrchestrationSpec) -> pa.RecordBatchReader:
    """What an orchestration sends, streamed: exports write batch by batch, so a whole database
    table is never held in memory."""
    if orchestration.query:
        return lakehouse.stream("query", orchestration.query)
    database, _, table = orchestration.database_table.partition(".")
    if is_standard(table):
        standard = standard_table(table)
        return lakehouse.stream(standard.layer, standard.storage_name(database))
    return lakehouse.stream("database", database_storage_name(database, table))


def run_orchestration(
    tenant: Tenant,
    lakehouse: Lakehouse,
    orchestration: OrchestrationSpec,
    *,
    run_time: datetime,
    base_dir: Path,
) -> ExportReport:
    destination = next(d for d in tenant.spec.destinations if d.name == orchestration.destination)
    template = next((t for t in tenant.spec.data_templates if t.name == orchestration.template), None)
    with lakehouse.lock(f"export-{destination.name}", what=f"export to destination {destination.name}"):
        data = apply_template(orchestration_data(tenant, lakehouse, orchestration), template)
        result = write_export(data, destination, base_dir=base_dir, run_time=run_time, name=orchestration.name)
    return ExportReport(
        orchestration=orchestration.name,
        destination=destination.name,
        files=[str(path) for path in result.files],
        rows=result.rows,
        bytes=result.bytes,
    )
