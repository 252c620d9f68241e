"""Deterministic Stitch: records sharing a normalised email, phone, FK or loyalty ID are one person.

The run, all in DuckDB except the component search:
1. type the input and compute match keys (`coalesced.keys_query`);
2. find bad values (an email or phone with too many given names) and ignore them;
3. turn shared keys into star edges and label connected components (numpy union-find);
4. name each cluster: inherit a previous Amperity ID where records overlap, else hash a new one;
5. write Unified Coalesced (original values), Unified Changes PKS and the run's figures.

A later probabilistic engine replaces steps 2-3; the output contract stays.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa

from amperity_pipelines.engines.sql_templates import fill, render, table
from amperity_pipelines.stitch.coalesced import (
    InputColumns,
    assignment_query,
    keys_query,
    numbered_query,
    output_query,
)
from amperity_pipelines.stitch.clustering import cap_clusters
from amperity_pipelines.stitch.components import connected_components
from amperity_pipelines.stitch.exceptions import StitchInputError
from amperity_pipelines.stitch.matching import bad_values_query, edges_query
from amperity_pipelines.stitch.result import StitchResult, StitchStats, bucket_counts
from amperity_pipelines.stitch.scratch import Scratch
from amperity_pipelines.stitch.settings import DeterministicSettings
from amperity_pipelines.stitch.stable_ids import (
    assign_previous_ids,
    changes_query,
    cluster_ids,
    previous_query,
    seed_ids_query,
)

if TYPE_CHECKING:
    import duckdb

CHANGES_SCHEMA = pa.schema(
    [
        ("amperity_id", pa.string()),
        ("amperity_id_prev", pa.string()),
        ("datasource", pa.string()),
        ("pk", pa.string()),
        ("change_type", pa.string()),
        ("job_id", pa.string()),
        ("timestamp", pa.timestamp("us")),
    ]
)


def stitch_deterministic(
    con: duckdb.DuckDBPyConnection,
    records: str,
    *,
    previous: pa.Table | str | None = None,
    settings: DeterministicSettings | None = None,
    job_id: str | None = None,
    run_timestamp: datetime | None = None,
) -> StitchResult:
    """Stitch the table or view `records` on `con`.

    `records` has `datasource` and `pk` (unique together) and any Unified Coalesced profile
    columns and fk_* columns. `previous` is the Unified Coalesced of the last run (an Arrow table
    or the name of a table or view on `con`); with it, Amperity IDs carry over and the changes are
    listed. `run_timestamp` (default: now, UTC) stamps the change records.

    `records` is read twice (keys first, original values for the output), so it must not change
    during the call. Rows of the output come in no particular order.
    """
    settings = settings or DeterministicSettings()
    columns = InputColumns.of(con.sql(render(fill("SELECT * FROM $t LIMIT 0", t=table(records)))).columns)
    stamp = _utc_naive(run_timestamp or datetime.now(UTC))
    with Scratch(con) as scratch:
        keys = scratch.create("keys", keys_query(records, columns, settings))
        base = scratch.create("base", numbered_query(keys))
        _check_keys(scratch, base)
        bad = scratch.create("bad_values", bad_values_query(base, settings))

        n = scratch.scalar(fill("SELECT COUNT(*) FROM $b", b=table(base)))
        left, right = _edges(scratch, base, bad, columns, settings)
        # Shared keys are all equally strong: a cluster over the supersized threshold has no
        # weaker link to cut, so its records stand alone (clustering.cap_clusters).
        labels, supersized_split = cap_clusters(
            connected_components(n, left, right),
            np.ones(n, dtype=np.int64),
            left,
            right,
            np.ones(len(left)),
            np.zeros(len(left), dtype=bool),
            settings.supersized_threshold,
        )
        sizes = np.bincount(labels, minlength=n)
        clusters = scratch.register(
            "clusters",
            pa.table({"rid": np.arange(n, dtype=np.int64), "label": labels, "cluster_size": sizes[labels]}),
        )

        seeds = scratch.create("seeds", seed_ids_query(base, clusters, settings.id_seed))
        kept = prev = None
        if previous is not None:
            source = previous if isinstance(previous, str) else scratch.register("previous_input", previous)
            prev = scratch.create("previous", previous_query(source))
            kept = assign_previous_ids(scratch, base, clusters, seeds, prev)
        ids = cluster_ids(scratch, seeds, kept, prev, settings.id_seed)

        assignment = scratch.create("assignment", assignment_query(base, clusters, ids, bad, settings))
        unified = scratch.arrow(output_query(records, assignment, columns))
        if prev is None:
            changes = CHANGES_SCHEMA.empty_table()
        else:
            current = scratch.register("current", unified)
            changes = scratch.arrow(changes_query(current, prev, job_id=job_id, timestamp=stamp)).cast(CHANGES_SCHEMA)
        bad_values = scratch.arrow(fill("SELECT * FROM $b ORDER BY semantic, value", b=table(bad)))

    cluster_sizes = sizes[sizes > 0]
    stats = StitchStats(
        records=n,
        amperity_ids=int(cluster_sizes.size),
        cluster_sizes=bucket_counts(cluster_sizes),
        supersized_clusters=int((cluster_sizes > settings.supersized_threshold).sum()),
        bad_values=bad_values.num_rows,
        supersized_split=supersized_split,
    )
    return StitchResult(unified_coalesced=unified, unified_changes_pks=changes, bad_values=bad_values, stats=stats)


def _utc_naive(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


def _check_keys(scratch: Scratch, base: str) -> None:
    """(datasource, pk) must be present and unique: it names a record across runs."""
    bad = scratch.rows(
        fill(
            """
            SELECT datasource, pk, COUNT(*) AS n FROM $b GROUP BY datasource, pk
            HAVING COUNT(*) > 1 OR datasource IS NULL OR pk IS NULL
            ORDER BY datasource, pk LIMIT 3
            """,
            b=table(base),
        )
    )
    if bad:
        shown = ", ".join(f"({ds!r}, {pk!r}) x{n}" for ds, pk, n in bad)
        raise StitchInputError(f"datasource and pk must be non-null and unique together; offending keys: {shown}")


def _edges(
    scratch: Scratch, base: str, bad: str, columns: InputColumns, settings: DeterministicSettings
) -> tuple[np.ndarray, np.ndarray]:
    query = edges_query(base, bad, columns, settings)
    if query is None:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    edges = scratch.arrow(query)
    return edges.column("rid").to_numpy(), edges.column("root").to_numpy()
