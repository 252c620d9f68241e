"""Foreign and separation keys, generational suffixes, nicknames and supersized clusters, end to end."""

import duckdb
import pytest
from prob_helpers import apart, person, stitch, together

from amperity_pipelines.stitch import read_nickname_changes
from amperity_pipelines.stitch.reference import nickname_pairs, sound_code


@pytest.fixture
def con():
    connection = duckdb.connect()
    yield connection
    connection.close()


def test_identical_foreign_keys_merge_records_that_share_nothing_else(con):
    rows = [person("pos", "f1", given_name="Li", fk_customer="C-77"), person("web", "f2", email="x9@mail.test", fk_customer="c-77 ")]
    result = stitch(con, rows)
    assert together(result, ("pos", "f1"), ("web", "f2"))
    scored = [s for s in result.unified_scores.to_pylist() if {s["pk1"], s["pk2"]} == {"f1", "f2"}]
    assert scored[0]["score"] == 5.0 and scored[0]["match_category"] == "Exact"


def test_same_foreign_key_value_in_another_namespace_does_not_match(con):
    rows = [person("pos", "n1", fk_pos="42"), person("web", "n2", fk_web="42")]
    assert apart(stitch(con, rows, with_background=False), ("pos", "n1"), ("web", "n2"))


def test_conflicting_separation_keys_split_even_a_perfect_match(con):
    twin = {"given_name": "Ola", "surname": "Berg", "email": "ola.berg@mail.test", "phone": "6465550123"}
    rows = [person("pos", "s1", sk_account="A", **twin), person("web", "s2", sk_account="B", **twin)]
    assert apart(stitch(con, rows), ("pos", "s1"), ("web", "s2"))
    same = [person("pos", "s1", sk_account="A", **twin), person("web", "s2", sk_account="a", **twin)]
    assert together(stitch(con, same), ("pos", "s1"), ("web", "s2"))


def test_fk_priority_decides_between_an_identical_fk_and_a_conflicting_sk(con):
    rows = [
        person("pos", "k1", given_name="Ida", sk_region="N", fk_customer="9"),
        person("web", "k2", given_name="Ida", sk_region="S", fk_customer="9"),
    ]
    assert together(stitch(con, rows), ("pos", "k1"), ("web", "k2"))
    assert apart(stitch(con, rows, classifier="sk-priority"), ("pos", "k1"), ("web", "k2"))


def test_loyalty_ids_match_like_foreign_keys(con):
    rows = [person("pos", "y1", given_name="Ravi", loyalty_id="6004-1"), person("loyalty", "y2", given_name="Ravi", loyalty_id="6004-1")]
    assert together(stitch(con, rows), ("pos", "y1"), ("loyalty", "y2"))


def test_a_supersized_cluster_is_split_and_only_identical_records_stay_flagged(con):
    rows = [person("pos", f"u{i}", given_name="Una", surname="Moor", email="una.moor@mail.test") for i in range(4)]
    # Four records linked by equally strong pairs: over the threshold, no pair is weaker, all stand alone.
    split = stitch(con, rows, with_background=False, supersized_threshold=3, trivial_duplicates=False)
    assert apart(split, *(("pos", f"u{i}") for i in range(4)))
    assert (split.stats.supersized_split, split.stats.supersized_clusters) == (1, 0)
    # Collapsed as trivial duplicates they are one node: nothing to cut, so the cluster is flagged.
    whole = stitch(con, rows, with_background=False, supersized_threshold=3)
    flags = {r["pk"]: r["is_supersized"] for r in whole.unified_coalesced.to_pylist()}
    assert all(flags.values()) and (whole.stats.supersized_split, whole.stats.supersized_clusters) == (0, 1)


def test_trivial_duplicates_are_collapsed_and_listed(con):
    rows = [person("pos", "d1", given_name="Eve", surname="Stone", email="eve.stone@mail.test"),
            person("web", "d2", given_name="EVE", surname="stone", email="Eve.Stone@mail.test")]
    result = stitch(con, rows, with_background=False)
    assert result.stats.trivial_duplicates == 1 and together(result, ("pos", "d1"), ("web", "d2"))
    raw = {r["pk"]: r for r in result.unified_preprocessed_raw.to_pylist()}
    assert raw["d2"]["rep_pk"] == "d1" and raw["d1"]["rep_pk"] == "d1"
    types = {s["match_type"] for s in result.unified_scores.to_pylist()}
    assert types == {"trivial_duplicate"}


def test_nickname_changes_add_and_remove_pairs(tmp_path):
    assert ("BOB", "ROBERT") in nickname_pairs()
    assert ("BOB", "ROBERT") not in nickname_pairs((("robert", "bob", "REMOVE"),))
    changes = tmp_path / "nicknames.csv"
    changes.write_text("canonical_name,nickname,update_type\nHorace,Hoss,ADD\n")
    assert ("HOSS", "HORACE") in nickname_pairs(read_nickname_changes(changes))
    with pytest.raises(ValueError, match="ADD or REMOVE"):
        nickname_pairs((("a", "b", "MAYBE"),))


def test_tenant_nickname_makes_two_names_compatible(con):
    rows = [person("pos", "h1", given_name="Horace", surname="Quint", phone="7185550100"),
            person("web", "h2", given_name="Hoss", surname="Quint", phone="718-555-0100")]
    assert apart(stitch(con, rows), ("pos", "h1"), ("web", "h2"))
    assert together(stitch(con, rows, nickname_changes=(("Horace", "Hoss", "ADD"),)), ("pos", "h1"), ("web", "h2"))


@pytest.mark.parametrize(("a", "b", "same"), [("STEVEN", "STEPHEN", True), ("SARA", "SARAH", True), ("MARY", "MARK", False)])
def test_sound_codes(a, b, same):
    assert (sound_code(a) == sound_code(b)) is same
