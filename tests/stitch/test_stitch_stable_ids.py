"""Amperity IDs across runs and the Unified Changes PKS records."""

from datetime import UTC, datetime

import duckdb
from stitch_helpers import ids_by_record, stitch

from amperity_pipelines.engines.sql_templates import column, render
from amperity_pipelines.stitch.stable_ids import dominant_pairs_query, record_hash, uuid_text

STAMP = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)


def person(ds, pk, **values):
    return {"datasource": ds, "pk": pk, **values}


def changes(result):
    rows = result.unified_changes_pks.to_pylist()
    return sorted((r["datasource"], r["pk"], r["change_type"], r["amperity_id"], r["amperity_id_prev"]) for r in rows)


BASE = [
    person("pos", "1", email="a@x.com"),
    person("web", "1", email="a@x.com", phone="2065550100"),
    person("crm", "1", phone="2065550100"),
    person("pos", "2", email="b@x.com"),
    person("pos", "3", email="c@x.com"),
]


def run(con, rows, previous=None, **kwargs):
    return stitch(con, rows, previous=None if previous is None else previous.unified_coalesced, **kwargs)


def test_same_input_keeps_every_id_and_logs_nothing(con):
    first = run(con, BASE)
    second = run(con, BASE, first)
    assert ids_by_record(second) == ids_by_record(first)
    assert second.unified_changes_pks.num_rows == 0
    assert first.unified_changes_pks.num_rows == 0  # no previous run: nothing to compare


def test_added_records_join_or_start_clusters(con):
    first = run(con, BASE)
    old = ids_by_record(first)
    second = run(con, BASE + [person("web", "2", email="A@x.com"), person("web", "3", email="new@x.com")], first)
    new = ids_by_record(second)
    assert {k: new[k] for k in old} == old
    assert new[("web", "2")] == old[("pos", "1")]
    assert new[("web", "3")] not in old.values()
    assert changes(second) == [
        ("web", "2", "added", old[("pos", "1")], None),
        ("web", "3", "added", new[("web", "3")], None),
    ]


def test_merge_keeps_the_id_of_the_bigger_overlap(con):
    first = run(con, BASE)
    old = ids_by_record(first)
    bridge = person("web", "9", email="b@x.com", phone="2065550100")  # ties pos:2 to the pos:1 cluster
    second = run(con, BASE + [bridge], first)
    new = ids_by_record(second)
    winner = old[("pos", "1")]
    assert {new[k] for k in [("pos", "1"), ("web", "1"), ("crm", "1"), ("pos", "2"), ("web", "9")]} == {winner}
    assert new[("pos", "3")] == old[("pos", "3")]
    assert changes(second) == [
        ("pos", "2", "updated", winner, old[("pos", "2")]),
        ("web", "9", "added", winner, None),
    ]


def test_split_keeps_the_id_on_the_larger_part_and_logs_the_delete(con):
    rows = BASE + [person("crm", "2", phone="2065550100")]
    first = run(con, rows)
    old = ids_by_record(first)
    without_bridge = [r for r in rows if (r["datasource"], r["pk"]) != ("web", "1")]
    second = run(con, without_bridge, first)
    new = ids_by_record(second)
    kept = old[("crm", "1")]
    assert new[("crm", "1")] == new[("crm", "2")] == kept  # two records of the old cluster
    assert new[("pos", "1")] != kept and new[("pos", "1")] not in old.values()
    assert changes(second) == [
        ("pos", "1", "updated", new[("pos", "1")], kept),
        ("web", "1", "deleted", None, kept),
    ]


def test_equal_halves_tie_break_on_the_smaller_record(con):
    rows = [
        person("b", "1", email="l@x.com"),
        person("z", "1", email="l@x.com", phone="2065550100"),
        person("c", "1", phone="2065550100"),
    ]
    first = run(con, rows)
    (old_id,) = set(ids_by_record(first).values())
    second = run(con, [rows[0], rows[2]], first)
    new = ids_by_record(second)
    assert new[("b", "1")] == old_id  # ('b','1') < ('c','1')
    assert new[("c", "1")] != old_id


def test_greedy_assignment_is_one_to_one_over_several_rounds(con):
    # old: X = {1, 2}, Y = {3, 4}; new: P = {1, 2, 3}, Q = {4}
    old_rows = [
        person("s", "1", email="x@x.com"),
        person("s", "2", email="x@x.com"),
        person("s", "3", email="y@x.com"),
        person("s", "4", email="y@x.com"),
    ]
    first = run(con, old_rows)
    old = ids_by_record(first)
    new_rows = [
        person("s", "1", email="x@x.com"),
        person("s", "2", email="x@x.com"),
        person("s", "3", email="x@x.com"),
        person("s", "4", email="q@x.com"),
    ]
    new = ids_by_record(run(con, new_rows, first))
    assert new[("s", "1")] == new[("s", "3")] == old[("s", "1")]
    assert new[("s", "4")] == old[("s", "4")]


def test_fresh_id_never_reuses_an_id_still_in_use(con):
    # run 1 names {pos:1, pos:2} after pos:1; run 2 drops pos:1, so {pos:2} carries that ID;
    # run 3 brings pos:1 back alone: its natural ID is taken, so it gets a re-hashed one.
    first = run(con, [person("pos", "1", email="a@x.com"), person("pos", "2", email="a@x.com")])
    named_after_pos1 = ids_by_record(first)[("pos", "1")]
    second = run(con, [person("pos", "2", email="a@x.com")], first)
    assert ids_by_record(second)[("pos", "2")] == named_after_pos1
    third = ids_by_record(run(con, [person("pos", "1"), person("pos", "2", email="a@x.com")], second))
    assert third[("pos", "2")] == named_after_pos1
    assert third[("pos", "1")] != named_after_pos1


def test_previous_as_a_view_and_change_metadata(con):
    first = run(con, BASE)
    con.register("previous_coalesced", first.unified_coalesced)
    second = stitch(con, BASE[:-1], previous="previous_coalesced")
    assert ids_by_record(second) == {k: v for k, v in ids_by_record(first).items() if k != ("pos", "3")}
    from amperity_pipelines.stitch import DeterministicSettings, stitch_deterministic

    con.register("records", second.unified_coalesced.select(["datasource", "pk", "email", "phone"]))
    third = stitch_deterministic(
        con,
        "records",
        previous=first.unified_coalesced,
        settings=DeterministicSettings(),
        job_id="job-7",
        run_timestamp=STAMP,
    )
    (row,) = third.unified_changes_pks.to_pylist()
    assert row["change_type"] == "deleted" and row["job_id"] == "job-7"
    assert row["timestamp"] == datetime(2024, 3, 1, 12, 0)  # UTC, without zone
    assert third.unified_changes_pks.column_names == [
        "amperity_id", "amperity_id_prev", "datasource", "pk", "change_type", "job_id", "timestamp",
    ]  # fmt: skip


def test_id_sql_golden():
    assert render(dominant_pairs_query("c")) == (
        "SELECT label, old_id FROM c QUALIFY rank = MIN(rank) OVER (PARTITION BY label) "
        "AND rank = MIN(rank) OVER (PARTITION BY old_id)"
    )
    assert render(record_hash("s", column("ds"), column("pk"))) == "MD5(CONCAT_WS(CHR(31), 's', ds, pk))"
    hexed = "0123456789abcdef0123456789abcdef"
    (value,) = duckdb.sql(f"SELECT {render(uuid_text(column('h')))} FROM (SELECT '{hexed}' AS h)").fetchone()
    assert value == "01234567-89ab-4def-8123-456789abcdef"
