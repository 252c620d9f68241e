"""Same records, same result: Stitch must not depend on the order rows arrive in, nor on threads.

Each test runs one input set in several row orders (and DuckDB thread settings) and compares
(datasource, pk) -> Amperity ID, the Unified Scores rows, the bad values and the figures. The
records are chosen for their ties: identical duplicates (which one represents them), a household
(equal scores), a record as close to one cluster as to another, conflicting separation keys (which
side a split keeps) and a value shared by too many people (a bad value).
"""

from __future__ import annotations

import math
import random

import duckdb
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from prob_helpers import background, ids, person, register

from amperity_pipelines.commands.stitch import run
from amperity_pipelines.stitch import StitchSettings, stitch_records

ORDERS = 4
"""Row orders tried per test; odd ones also run DuckDB on one thread."""


def tricky() -> list[dict]:
    rows = [person("pos", f"dup{k}", given_name="Ann", surname="Lee", email="ann.lee@x.org", phone="2065550100") for k in range(3)]
    rows += [
        person("web", f"hh{k}", given_name=g, surname="Dalton", address="12 Oak St", city="Seattle", state="WA", postal="98101")
        for k, g in enumerate(("John", "Jane", "Jim"))
    ]
    rows += [  # t3 is as close to t1 (email) as to t2 (phone); t1 and t2 disagree on the birthdate
        person("pos", "t1", given_name="Mike", surname="Ross", email="mike@ross.org", birthdate="1980-01-01"),
        person("pos", "t2", given_name="Mike", surname="Ross", phone="3125550111", birthdate="1984-06-01"),
        person("web", "t3", given_name="Mike", surname="Ross", email="mike@ross.org", phone="3125550111"),
    ]
    rows += [  # one email, two separation keys: c3 may join either side
        person("pos", "c1", given_name="Sam", surname="Hill", email="sam@hill.org", sk_member="1"),
        person("web", "c2", given_name="Sam", surname="Hill", email="sam@hill.org", sk_member="2"),
        person("loyalty", "c3", given_name="Sam", surname="Hill", email="sam@hill.org"),
    ]
    names = ("Al Bea Cal Dee Eve Fay Gus Hal Ida Jon Kay Lou Max Ned Oda Pam Quin Rex Sue Ted Uma Val Wes".split())
    rows += [person("web", f"junk{k}", given_name=g, surname="Poe", email="fam.poe@shared.org") for k, g in enumerate(names)]
    return rows


def shuffled(rows: list[dict], seed: int) -> list[dict]:
    copy = list(rows)
    random.Random(seed).shuffle(copy)
    return copy


def outcome(result) -> tuple:
    """What must not change: IDs per record, score rows (scores rounded below float noise), bad values, figures."""
    scores = {
        (r["amperity_id"], r["source1"], r["pk1"], r["source2"], r["pk2"], r["match_category"], r["match_type"]): r["score"]
        for r in result.unified_scores.to_pylist()
    }
    figures = {k: v for k, v in result.stats.as_dict().items() if k != "stage_seconds"}
    return ids(result), scores, result.bad_values.to_pylist(), figures


def same(first: tuple, other: tuple) -> None:
    assert other[0] == first[0]
    assert other[1].keys() == first[1].keys()
    assert all(math.isclose(other[1][k], first[1][k], abs_tol=1e-9) for k in first[1])
    assert other[2] == first[2]
    assert other[3] == first[3]


def connection(seed: int) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    if seed % 2:
        con.execute("SET threads = 1")
    else:
        con.execute("SET preserve_insertion_order = false")
    return con


def test_row_order_and_threads_do_not_change_the_result():
    rows = background(150) + tricky()
    outcomes = []
    for seed in range(ORDERS):
        con = connection(seed)
        outcomes.append(outcome(stitch_records(con, register(con, shuffled(rows, seed)))))
        con.close()
    for other in outcomes[1:]:
        same(outcomes[0], other)
    by_record = outcomes[0][0]
    assert len({by_record[("pos", f"dup{k}")] for k in range(3)}) == 1
    assert outcomes[0][2], "the shared email is a bad value"


def test_incremental_and_labelled_runs_do_not_depend_on_row_order():
    rows = background(100) + tricky()
    con = duckdb.connect()
    previous = stitch_records(con, register(con, rows[: len(rows) // 2])).unified_coalesced
    labels = pa.table({"label_id": ["L", "L"], "partition_id": ["a", "b"], "datasource": ["pos", "pos"], "pk": ["t1", "t2"]})
    settings = StitchSettings(run_type="incremental")
    outcomes = []
    for seed in range(ORDERS):
        con = connection(seed)
        result = stitch_records(con, register(con, shuffled(rows, seed)), previous=previous, labels=labels, settings=settings)
        outcomes.append(outcome(result))
        con.close()
    for other in outcomes[1:]:
        same(outcomes[0], other)


def test_the_command_gives_one_result_for_a_shuffled_csv(tmp_path):
    rows = background(100) + tricky()
    columns = list(dict.fromkeys(key for row in rows for key in row))
    folders = []
    for seed in range(2):
        order = shuffled(rows, seed)
        path = tmp_path / f"records{seed}.csv"
        pacsv.write_csv(pa.table({c: pa.array([r.get(c) for r in order], pa.string()) for c in columns}), path)
        folders.append(run(path, tmp_path / f"out{seed}").out)

    def read(folder, name, key):
        return sorted(pq.read_table(folder / name).to_pylist(), key=key)

    coalesced = [read(f, "unified_coalesced.parquet", lambda r: (r["datasource"], r["pk"])) for f in folders]
    assert coalesced[0] == coalesced[1]
    score_key = lambda r: (r["source1"], r["pk1"], r["source2"], r["pk2"], r["match_type"])  # noqa: E731
    scores = [read(f, "unified_scores.parquet", score_key) for f in folders]
    assert [score_key(r) + (r["amperity_id"],) for r in scores[0]] == [score_key(r) + (r["amperity_id"],) for r in scores[1]]
    assert all(math.isclose(a["score"], b["score"], abs_tol=1e-9) for a, b in zip(*scores, strict=True))
    assert read(folders[0], "bad_values.parquet", str) == read(folders[1], "bad_values.parquet", str)


def test_splitting_supersized_clusters_does_not_depend_on_row_order():
    rows = background(60) + tricky()
    settings = StitchSettings(supersized_threshold=2)
    outcomes = []
    for seed in range(3):
        con = connection(seed)
        outcomes.append(outcome(stitch_records(con, register(con, shuffled(rows, seed)), settings=settings)))
        con.close()
    for other in outcomes[1:]:
        same(outcomes[0], other)
    assert outcomes[0][3]["supersized_split"] > 0
