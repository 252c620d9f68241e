"""Feed checks: validate a domain table's current Delta version against its derived suite.

The batch GX sees is pandas (Arrow dtypes) read through DuckDB. Tables up to
`quality.feeds.sample_rows` rows are validated whole; bigger ones on a reservoir sample of that
size, because GX on pandas costs ~14 s per million rows on two cores and the rate checks
(`mostly`) are as good on a 100,000-row sample. What a sample cannot show, DuckDB computes
exactly over the whole table: null and repeated primary keys and the row count against the
previous load. Results go to `<lakehouse>/<tenant>/quality/` (local lakehouse) or
`./quality/<tenant>/` (object-store lakehouse: GX's file stores are local folders).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pyarrow as pa

from amperity_pipelines.config.loader import DomainTable, Tenant
from amperity_pipelines.config.quality_models import FeedQualitySpec
from amperity_pipelines.engines.duckdb_engine import connect
from amperity_pipelines.quality.expectations import derive_suite
from amperity_pipelines.quality.gx_validation import ValidationOutcome, validate_frame
from amperity_pipelines.storage.lakehouse import Lakehouse

SAMPLE_SEED = 7


@dataclass(frozen=True)
class FeedCheckReport:
    table: str
    rows: int
    version: int
    previous_rows: int | None
    rows_validated: int
    validation: ValidationOutcome
    problems: list[str] = field(default_factory=list)
    """Exact findings over a sampled table's whole data (keys, row count)."""
    key_examples: list[dict] = field(default_factory=list)

    @property
    def sampled(self) -> bool:
        return self.rows_validated < self.rows

    @property
    def passed(self) -> bool:
        return self.validation.success and not self.problems

    def description(self) -> str:
        batch = f"{self.rows_validated:,}-row sample of {self.rows:,} rows" if self.sampled else f"{self.rows:,} rows"
        failed = self.validation.evaluated - self.validation.successful
        head = f"{self.table} (version {self.version}, {batch}): {failed} of {self.validation.evaluated} expectations failed"
        details = [f.summary() for f in self.validation.failures] + self.problems
        return head + (": " + "; ".join(details) if details else "")


def quality_folder(lakehouse: Lakehouse) -> Path:
    if lakehouse.is_local:
        return Path(lakehouse.root.removeprefix("file://")).absolute() / lakehouse.tenant / "quality"
    return Path("quality").absolute() / lakehouse.tenant


def rows_at(lakehouse: Lakehouse, layer: str, name: str, version: int) -> int:
    """Rows of one Delta version, from the log's per-file record counts when they are there."""
    table = lakehouse.table(layer, name, version=version)
    actions = pa.table(table.get_add_actions(flatten=True))
    counts = actions.column("num_records").to_pylist() if actions.num_rows else []
    if all(c is not None for c in counts):
        return int(sum(counts))
    return table.to_pyarrow_dataset().count_rows()


def run_feed_check(
    tenant: Tenant,
    table: DomainTable,
    lakehouse: Lakehouse,
    *,
    run_name: str,
    today: date | None = None,
) -> FeedCheckReport:
    import pandas as pd

    quality = tenant.spec.quality.feeds
    if not lakehouse.exists("domain", table.key):
        raise FileNotFoundError(f"domain table {table.name} has not been loaded yet: nothing to check")
    version = lakehouse.table("domain", table.key).version()
    rows = rows_at(lakehouse, "domain", table.key, version)
    previous = rows_at(lakehouse, "domain", table.key, version - 1) if version > 0 else None
    schema = {f.name: f.type for f in lakehouse.schema("domain", table.key)}
    sampled = rows > quality.sample_rows
    suite = derive_suite(table, schema, quality, previous_rows=previous, today=today or date.today(), row_count=not sampled)

    con = connect()
    try:
        lakehouse.register(con, "checked", "domain", table.key)
        sql = "SELECT * FROM checked"
        if sampled:
            sql += f" USING SAMPLE reservoir({int(quality.sample_rows)} ROWS) REPEATABLE ({SAMPLE_SEED})"
        batch = con.sql(sql).to_arrow_table()
        problems, key_examples = (_exact_problems(con, suite.key_columns, rows, previous, quality) if sampled else ([], []))
    finally:
        con.close()
    note = f"Random sample of {batch.num_rows:,} of {rows:,} rows (Delta version {version})." if sampled else ""
    outcome = validate_frame(
        quality_folder(lakehouse),
        suite,
        batch.to_pandas(types_mapper=pd.ArrowDtype),
        run_name=run_name,
        examples=quality.examples,
        batch_note=note,
    )
    return FeedCheckReport(
        table=table.name,
        rows=rows,
        version=version,
        previous_rows=previous,
        rows_validated=batch.num_rows,
        validation=outcome,
        problems=problems,
        key_examples=key_examples,
    )


def _exact_problems(con, keys: list[str], rows: int, previous: int | None, quality: FeedQualitySpec) -> tuple[list[str], list[dict]]:
    """Whole-table figures a sample cannot give: null/repeated primary keys, row count band."""
    problems: list[str] = []
    examples: list[dict] = []
    if keys:
        columns = ['"' + k.replace('"', '""') + '"' for k in keys]
        quoted = ", ".join(columns)
        any_null = " OR ".join(f"{c} IS NULL" for c in columns)
        nulls = con.sql(f"SELECT count(*) FROM checked WHERE {any_null}").fetchone()[0]
        repeated = con.sql(
            f"SELECT {quoted}, count(*) AS copies FROM checked WHERE NOT ({any_null}) GROUP BY ALL HAVING count(*) > 1 "
            f"ORDER BY copies DESC LIMIT {int(quality.examples)}"
        )
        dup_count = con.sql(
            f"SELECT count(*) FROM (SELECT 1 FROM checked WHERE NOT ({any_null}) GROUP BY {quoted} HAVING count(*) > 1)"
        ).fetchone()[0]
        if nulls:
            problems.append(f"primary key {', '.join(keys)}: {nulls:,} rows with a null key (whole table)")
        if dup_count:
            problems.append(f"primary key {', '.join(keys)}: {dup_count:,} keys on more than one row (whole table)")
            examples = [{k: _plain(v) for k, v in row.items()} for row in repeated.to_arrow_table().to_pylist()]
    if previous:
        low, high = quality.row_count_vs_previous
        if not math.floor(previous * low) <= rows <= math.ceil(previous * high):
            problems.append(f"row count {rows:,} is {rows / previous:.2f}x the previous load's {previous:,} (allowed {low:g}-{high:g}x)")
    return problems, examples


def _plain(value):
    return value if value is None or isinstance(value, (bool, int, float, str)) else str(value)
