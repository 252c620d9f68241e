"""Dates that do not parse: set to NULL and reported, or refused past the run's error threshold.

Real files carry a few impossible dates (1986-02-29, 2001-13-01). Stitch reads birthdate,
create_dt and update_dt with TRY_CAST (see `coalesced.InputColumns.source`), so such a value
becomes NULL instead of failing the run; `check` counts them per column, keeps a sample with
each value's (datasource, pk), and raises StitchInputError when a column's share of unparseable
values exceeds `StitchSettings.error_threshold`. A blank value is missing, not unparseable.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlglot import exp

from amperity_pipelines.engines.sql_templates import column, fill, table
from amperity_pipelines.stitch.coalesced import InputColumns
from amperity_pipelines.stitch.exceptions import StitchInputError
from amperity_pipelines.stitch.scratch import Scratch

CHECKED: tuple[tuple[str, str], ...] = (("birthdate", "DATE"), ("create_dt", "TIMESTAMP"), ("update_dt", "TIMESTAMP"))
SAMPLE_SIZE = 5


@dataclass(frozen=True)
class Unparseable:
    """Values of one column that were not dates and became NULL."""

    column: str
    count: int
    share: float
    """count / records of the run."""
    sample: tuple[tuple[str, str, str], ...]
    """Up to SAMPLE_SIZE (datasource, pk, value), smallest (datasource, pk) first."""

    def as_dict(self) -> dict[str, object]:
        return {"count": self.count, "share": self.share, "sample": [list(s) for s in self.sample]}

    def describe(self) -> str:
        shown = ", ".join(f"{ds}:{pk} {value!r}" for ds, pk, value in self.sample)
        return f"{self.column}: {self.count:,} value(s) ({self.share:.4%}) are not valid dates, e.g. {shown}"


def _bad(name: str, type_: str) -> exp.Expression:
    """The raw value is there, not blank, and does not cast to `type_`."""
    raw = column(name)
    return fill(
        "$raw IS NOT NULL AND TRIM(CAST($raw AS VARCHAR)) <> '' AND $cast IS NULL",
        raw=raw,
        cast=exp.TryCast(this=raw.copy(), to=exp.DataType.build(type_, dialect="duckdb")),
    )


def counts_query(records: str, checked: list[tuple[str, str, str]]) -> exp.Expression:
    """One row: how many unparseable values each checked (contract name, input name, type) column has."""
    sums = [
        fill("SUM(CASE WHEN $bad THEN 1 ELSE 0 END)", bad=_bad(name, type_)).as_(contract) for contract, name, type_ in checked
    ]
    return fill("SELECT $sums FROM $r", sums=sums, r=table(records))


def sample_query(records: str, columns: InputColumns, contract: str, name: str, type_: str) -> exp.Expression:
    ds, pk = columns.source("datasource", "VARCHAR"), columns.source("pk", "VARCHAR")
    return fill(
        """
        SELECT ds, pk, v FROM (SELECT $ds AS ds, $pk AS pk, CAST($raw AS VARCHAR) AS v FROM $r WHERE $bad)
        ORDER BY ds, pk LIMIT $n
        """,
        ds=ds,
        pk=pk,
        raw=column(name),
        r=table(records),
        bad=_bad(name, type_),
        n=SAMPLE_SIZE,
    )


def check(scratch: Scratch, records: str, columns: InputColumns, n: int, threshold: float) -> dict[str, Unparseable]:
    """Unparseable values per checked column that has any; raises past `threshold` (a share of `n`)."""
    checked = [(c, columns.present[c], t) for c, t in CHECKED if c in columns.present]
    if not checked or n == 0:
        return {}
    counts = scratch.rows(counts_query(records, checked))[0]
    found: dict[str, Unparseable] = {}
    for (contract, name, type_), count in zip(checked, counts, strict=True):
        if not count:
            continue
        sample = tuple((ds, pk, v) for ds, pk, v in scratch.rows(sample_query(records, columns, contract, name, type_)))
        found[contract] = Unparseable(contract, int(count), int(count) / n, sample)
    over = [u for u in found.values() if u.share > threshold]
    if over:
        raise StitchInputError(
            "; ".join(u.describe() for u in over) + f": above the error threshold of {threshold:.2%} of {n:,} records "
            "(raise it with error_threshold, or --error-threshold on the command line)"
        )
    return found

