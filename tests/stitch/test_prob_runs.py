"""Probabilistic Stitch across runs: stable Amperity IDs, changes, labels, incremental and
one-to-one runs, bad input."""

import duckdb
import pyarrow as pa
import pytest
from prob_helpers import apart, ids, person, register, stitch, together

from amperity_pipelines.stitch import StitchInputError, StitchSettings, stitch_records

ANN = [
    person("pos", "a1", given_name="Ann", surname="Quill", email="ann.quill@mail.test", phone="2065550101"),
    person("web", "a2", given_name="Annie", surname="Quill", email="ann.quill@mail.test"),
]
BEN = [
    person("pos", "b1", given_name="Ben", surname="Orsay", phone="3125550102", birthdate="1975-02-03"),
    person("web", "b2", given_name="Benjamin", surname="Orsay", phone="312-555-0102"),
]
CARL = [person("loyalty", "c1", given_name="Carl", surname="Vance", email="cvance@mail.test")]


@pytest.fixture
def con():
    connection = duckdb.connect()
    yield connection
    connection.close()


def changes(result):
    return {(r["datasource"], r["pk"]): r["change_type"] for r in result.unified_changes_pks.to_pylist()}


def cluster_changes(result):
    return {(r["amperity_id"], r["change_type"]) for r in result.unified_changes_clusters.to_pylist()}


def test_ids_are_stable_when_a_record_is_added(con):
    first = stitch(con, ANN + BEN)
    second = stitch(con, ANN + BEN + [person("loyalty", "a3", given_name="Ann", surname="Quill", phone="206.555.0101")],
                    previous=first.unified_coalesced)
    before, after = ids(first), ids(second)
    assert all(after[k] == v for k, v in before.items())
    assert after[("loyalty", "a3")] == before[("pos", "a1")]
    assert changes(second) == {("loyalty", "a3"): "added"}
    assert cluster_changes(second) == {(before[("pos", "a1")], "updated")}


def test_merging_two_people_keeps_one_id_and_reports_the_merge(con):
    bridge_free = [person("web", "a2", given_name="Ann", surname="Quill", email="aq@elsewhere.test")]
    first = stitch(con, [ANN[0], *bridge_free])
    assert apart(first, ("pos", "a1"), ("web", "a2"))
    bridged = [person("web", "a2", given_name="Ann", surname="Quill", email="aq@elsewhere.test", phone="2065550101")]
    second = stitch(con, [ANN[0], *bridged], previous=first.unified_coalesced)
    assert together(second, ("pos", "a1"), ("web", "a2"))
    survivor = ids(second)[("pos", "a1")]
    assert survivor in {ids(first)[("pos", "a1")], ids(first)[("web", "a2")]}
    assert (survivor, "merged") in cluster_changes(second)
    assert len(changes(second)) == 1  # only the record whose ID changed


def test_splitting_a_person_keeps_the_id_on_the_larger_part(con):
    first = stitch(con, BEN + [person("loyalty", "b3", given_name="Ben", surname="Orsay", phone="3125550102")])
    old = ids(first)[("pos", "b1")]
    assert together(first, ("pos", "b1"), ("web", "b2"), ("loyalty", "b3"))
    moved = person("web", "b2", given_name="Benjamin", surname="Orsay", phone="7735550999")
    second = stitch(con, [BEN[0], moved, person("loyalty", "b3", given_name="Ben", surname="Orsay", phone="3125550102")],
                    previous=first.unified_coalesced)
    after = ids(second)
    assert after[("pos", "b1")] == after[("loyalty", "b3")] == old
    assert after[("web", "b2")] != old
    assert changes(second) == {("web", "b2"): "updated"}
    assert (old, "split") in cluster_changes(second)


def test_deleting_a_record_reports_it_and_keeps_the_rest(con):
    first = stitch(con, ANN + CARL)
    second = stitch(con, ANN, previous=first.unified_coalesced)
    assert changes(second) == {("loyalty", "c1"): "deleted"}
    assert (ids(first)[("loyalty", "c1")], "deleted") in cluster_changes(second)
    assert ids(second)[("pos", "a1")] == ids(first)[("pos", "a1")]


def labels_table(*rows):
    return pa.table({k: [r[i] for r in rows] for i, k in enumerate(("label_id", "partition_id", "datasource", "pk"))})


def test_labels_force_records_together_and_apart(con):
    strangers = [
        person("pos", "s1", given_name="Zed", surname="Ko", email="zed@mail.test"),
        person("web", "s2", given_name="Zora", surname="Lin", email="zora@mail.test"),
    ]
    labels = labels_table(("L1", "1", "pos", "s1"), ("L1", "1", "web", "s2"), ("L2", "1", "pos", "a1"), ("L2", "2", "web", "a2"))
    result = stitch(con, ANN + strangers, labels=labels)
    assert together(result, ("pos", "s1"), ("web", "s2"))
    assert apart(result, ("pos", "a1"), ("web", "a2"))


def test_labels_in_amperity_feed_shape(con):
    labels = pa.table(
        {"label_id": ["L"], "partition_id": ["1"], "datasource": ["pos"], "semantic": ["pk"], "value": ["a1"]}
    )
    labels = pa.concat_tables([labels, pa.table({"label_id": ["L"], "partition_id": ["2"], "datasource": ["web"],
                                                 "semantic": ["pk"], "value": ["a2"]})])
    assert apart(stitch(con, ANN, labels=labels), ("pos", "a1"), ("web", "a2"))


def test_incremental_run_attaches_new_records_without_merging_or_splitting(con):
    first = stitch(con, ANN + BEN)
    old = ids(first)
    newcomers = [
        person("loyalty", "a3", given_name="Ann", surname="Quill", email="ann.quill@mail.test"),
        person("loyalty", "x1", given_name="Xia", surname="Moss", email="xia@mail.test"),
        # links Ann and Ben: a normal run could merge them, an incremental one must not
        person("loyalty", "ab", given_name="Ann", surname="Quill", email="ann.quill@mail.test", phone="3125550102"),
    ]
    result = stitch(con, ANN + BEN + newcomers, previous=first.unified_coalesced, run_type="incremental")
    after = ids(result)
    assert all(after[k] == v for k, v in old.items())
    assert after[("loyalty", "a3")] == old[("pos", "a1")]
    assert after[("loyalty", "x1")] not in old.values()
    assert after[("pos", "a1")] != after[("pos", "b1")]


def test_incremental_run_needs_a_previous_run(con):
    with pytest.raises(StitchInputError, match="previous"):
        stitch(con, ANN, run_type="incremental")


def test_one_to_one_gives_one_id_per_ck(con):
    rows = [
        person("pos", "1", ck="C1", given_name="Ann"),
        person("web", "1", ck="c1 ", given_name="Bob"),
        person("web", "2", ck="C2", given_name="Ann", email="ann.quill@mail.test"),
        person("pos", "2", given_name="Ann", email="ann.quill@mail.test"),
    ]
    result = stitch(con, rows, with_background=False, run_type="one-to-one")
    assert together(result, ("pos", "1"), ("web", "1"))
    assert apart(result, ("web", "2"), ("pos", "2"), ("pos", "1"))
    assert result.unified_scores.num_rows == 0 and result.blocking_keys is None


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([{"pk": "1"}], "datasource"),
        ([person("a", "1"), person("a", "1")], "unique"),
        ([], "no records"),
    ],
)
def test_bad_input_fails_before_any_work(con, rows, message):
    if rows:
        name = register(con, rows)
    else:
        con.execute("CREATE TABLE empty_records (datasource VARCHAR, pk VARCHAR)")
        name = "empty_records"
    with pytest.raises(StitchInputError, match=message):
        stitch_records(con, name)


def test_unknown_settings_are_refused():
    with pytest.raises(ValueError, match="strategy"):
        StitchSettings(strategies=("dnf1", "dnf42"))
    with pytest.raises(ValueError, match="threshold"):
        StitchSettings(threshold=7)


def test_scratch_tables_are_dropped(con):
    stitch(con, ANN, with_background=False)
    assert con.execute("SELECT COUNT(*) FROM duckdb_tables() WHERE table_name LIKE '__pstitch%'").fetchone()[0] == 0
