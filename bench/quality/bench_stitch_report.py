"""Time the Stitch QA report on Stitch-shaped tables of millions of records (a script, not a test).

    .venv/bin/python bench/quality/bench_stitch_report.py --records 2000000

The tables are synthetic but shaped like a run's: four datasources, half the people in two to
four sources, a few clusters of hundreds to thousands of records, one scored pair per record
beyond the first in a cluster. Prints seconds, peak RSS and the size of the HTML file.
"""

from __future__ import annotations

import argparse
import json
import resource
import tempfile
import time
from pathlib import Path

import duckdb

from amperity_pipelines.quality.stitch_report import write_stitch_report

TABLES_SQL = """
CREATE TABLE uc AS
WITH r AS (SELECT range AS i FROM range({records}))
SELECT
  CASE WHEN i < 20000 THEN 'big-' || (i // 2000)          -- ten clusters of 2,000
       WHEN i % 10 < 6 THEN 'p-' || (i // 3)               -- people in up to three sources
       ELSE 's-' || i END AS amperity_id,                  -- singletons
  ['POS', 'Ecommerce', 'Loyalty', 'ESP'][1 + (i * 7 % 4)] AS datasource,
  'pk' || i AS pk,
  ['Ann', 'Ben', 'Carl', 'Dana', 'Eve'][1 + i % 5] AS given_name,
  'Surname' || (i % 997) AS surname,
  'user' || (i // 3) || '@mail.test' AS email,
  LPAD(CAST(2065550000 + i % 9999 AS VARCHAR), 10, '0') AS phone,
  (i % 9000) || ' Main Street' AS address,
  'Seattle' AS city,
  '98101' AS postal,
  DATE '1950-01-01' + CAST(i % 20000 AS INTEGER) AS birthdate
FROM r;
CREATE TABLE us AS
SELECT amperity_id, lag(datasource) OVER w AS source1, lag(pk) OVER w AS pk1, datasource AS source2, pk AS pk2,
       3.0 + (hash(pk) % 200) / 100.0 AS score,
       ['High', 'Excellent', 'Exact'][1 + CAST(hash(pk) % 3 AS INTEGER)] AS match_category,
       'scored' AS match_type
FROM uc
WINDOW w AS (PARTITION BY amperity_id ORDER BY pk)
QUALIFY lag(pk) OVER w IS NOT NULL;
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=2_000_000)
    args = parser.parse_args()
    con = duckdb.connect()
    con.execute(TABLES_SQL.format(records=args.records))
    tables = {"unified_coalesced": con.table("uc").to_arrow_table(), "unified_scores": con.table("us").to_arrow_table()}
    con.close()
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    with tempfile.TemporaryDirectory() as folder:
        began = time.perf_counter()
        path = write_stitch_report(tables, {}, Path(folder), title="bench")
        seconds = time.perf_counter() - began
        size = path.stat().st_size
    figures = {
        "records": tables["unified_coalesced"].num_rows,
        "scored_pairs": tables["unified_scores"].num_rows,
        "seconds": round(seconds, 2),
        "html_bytes": size,
        "peak_rss_mib_before_report": rss_before,
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
