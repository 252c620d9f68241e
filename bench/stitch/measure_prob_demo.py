"""Measure probabilistic vs deterministic Stitch on a demo run (a script, not a test).

    cd /tmp/x && amperity-pipelines demo --people 20000
    .venv/bin/python bench/stitch/measure_prob_demo.py /tmp/x

Reads the stitched domain tables of /tmp/x/lakehouse (the union the pipeline stitches) and the
generator's truth (/tmp/x/landing/demo/_truth/people.parquet), runs `stitch_records` and
`stitch_deterministic` on the same records and prints pairwise precision / recall / F1, the
share of same-household (different person) pairs merged, the largest cluster, wall time and
peak memory of each.
"""

from __future__ import annotations

import argparse
import json
import resource
import time
from pathlib import Path

import duckdb

from amperity_pipelines.engines.duckdb_engine import connect
from amperity_pipelines.layers.stitching import records_sql
from amperity_pipelines.stitch import stitch_deterministic, stitch_records
from amperity_pipelines.storage.lakehouse import Lakehouse
from amperity_pipelines.tenant_check import load_tenant

TENANT = Path(__file__).resolve().parents[2] / "tenants" / "demo"


def pairwise(con: duckdb.DuckDBPyConnection, coalesced: str, truth: str) -> dict[str, float]:
    """Pairwise precision / recall / F1 and household pairs merged, by counting pairs per group."""
    row = con.execute(
        f"""
        WITH j AS (
          SELECT u.amperity_id AS c, t.person_id AS p, t.household_id AS h
          FROM {coalesced} AS u JOIN {truth} AS t USING (datasource, pk)
        ),
        pairs AS (
          SELECT (SELECT SUM(n * (n - 1) / 2) FROM (SELECT COUNT(*) AS n FROM j GROUP BY c)) AS predicted,
                 (SELECT SUM(n * (n - 1) / 2) FROM (SELECT COUNT(*) AS n FROM j GROUP BY p)) AS true_,
                 (SELECT SUM(n * (n - 1) / 2) FROM (SELECT COUNT(*) AS n FROM j GROUP BY c, p)) AS both_,
                 (SELECT SUM(n * (n - 1) / 2) FROM (SELECT COUNT(*) AS n FROM j GROUP BY h)) AS hh,
                 (SELECT SUM(n * (n - 1) / 2) FROM (SELECT COUNT(*) AS n FROM j GROUP BY h, p)) AS hh_same,
                 (SELECT SUM(n * (n - 1) / 2) FROM (SELECT COUNT(*) AS n FROM j GROUP BY h, c)) AS hh_merged,
                 (SELECT SUM(n * (n - 1) / 2) FROM (SELECT COUNT(*) AS n FROM j GROUP BY h, c, p)) AS hh_merged_same,
                 (SELECT MAX(n) FROM (SELECT COUNT(*) AS n FROM j GROUP BY c)) AS largest
        )
        SELECT * FROM pairs
        """
    ).fetchone()
    predicted, true_, both, hh, hh_same, hh_merged, hh_merged_same, largest = (float(x or 0) for x in row)
    precision = both / predicted if predicted else 1.0
    recall = both / true_ if true_ else 1.0
    return {
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "f1": round(2 * precision * recall / (precision + recall), 4),
        "household_pairs_merged": round((hh_merged - hh_merged_same) / max(hh - hh_same, 1), 4),
        "largest_cluster": int(largest),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("demo", type=Path, help="folder where `amperity-pipelines demo` ran")
    parser.add_argument("--engine", choices=("both", "probabilistic", "deterministic"), default="both")
    args = parser.parse_args()
    tenant = load_tenant(TENANT)
    lakehouse = Lakehouse(str(args.demo / "lakehouse"), "demo")
    con = connect()
    tables = tenant.stitched_tables()
    for t in tables:
        lakehouse.register(con, t.name, "domain", t.key)
    con.execute(f"CREATE TEMP VIEW records AS {records_sql(tables)}")  # as the pipeline does
    con.execute(f"CREATE TEMP VIEW truth AS SELECT * FROM read_parquet('{args.demo / 'landing/demo/_truth/people.parquet'}')")
    records = con.execute("SELECT COUNT(*) FROM records").fetchone()[0]
    engines = {"probabilistic": stitch_records, "deterministic": stitch_deterministic}
    for name, run in engines.items():
        if args.engine not in ("both", name):
            continue
        began = time.perf_counter()
        result = run(con, "records")
        seconds = time.perf_counter() - began
        con.register(f"uc_{name}", result.unified_coalesced)
        figures = {"records": records, **pairwise(con, f"uc_{name}", "truth"), "seconds": round(seconds, 1)}
        figures["peak_rss_mb_so_far"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
        if name == "probabilistic":
            figures["stage_seconds"] = result.stats.stage_seconds
        print(name, json.dumps(figures))


if __name__ == "__main__":
    main()
