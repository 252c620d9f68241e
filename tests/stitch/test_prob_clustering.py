"""Conflict-aware splitting of components, explain, and saving a run."""

import duckdb
import numpy as np
import pytest
from prob_helpers import person, stitch

from amperity_pipelines.stitch import explain, load_tables, save_result
from amperity_pipelines.stitch.clustering import Conflicts, split_components
from amperity_pipelines.stitch.components import connected_components


def conflicts(values: dict[int, list[tuple[int, int]]], pairs: set[tuple[int, int]], hard=None) -> Conflicts:
    rid, sem, val = [], [], []
    for node, items in values.items():
        for s, v in items:
            rid.append(node), sem.append(s), val.append(v)
    return Conflicts(np.array(rid), np.array(val), np.array(sem), pairs, hard or {0: False, 1: True})


def split(n, edges, data, forced=None):
    left = np.array([e[0] for e in edges])
    right = np.array([e[1] for e in edges])
    score = np.array([e[2] for e in edges])
    force = np.array(forced if forced is not None else [False] * len(edges))
    components = connected_components(n, left, right)
    to_split = np.unique(components[[rid for rid in range(n) if rid in {int(x) for x in data.rid}]])
    return split_components(n, components, to_split, left, right, score, force, data).tolist()


def test_a_chain_through_a_record_without_the_conflicting_value_is_cut_at_the_weaker_edge():
    # 0 (born 1950) -- 1 (no birthdate) -- 2 (born 1980): 1 joins the stronger side only
    data = conflicts({0: [(0, 100)], 2: [(0, 101)]}, {(100, 101)})
    assert split(3, [(0, 1, 4.5), (1, 2, 3.2)], data) == [0, 0, 2]
    assert split(3, [(0, 1, 3.2), (1, 2, 4.5)], data) == [0, 1, 1]


def test_components_without_conflicts_stay_whole():
    data = conflicts({0: [(0, 100)], 1: [(0, 100)]}, set())
    assert split(3, [(0, 1, 3.5), (1, 2, 3.1)], data) == [0, 0, 0]


def test_forced_edges_override_soft_but_not_hard_conflicts():
    soft = conflicts({0: [(0, 100)], 1: [(0, 101)]}, {(100, 101)})
    assert split(2, [(0, 1, 5.0)], soft, forced=[True]) == [0, 0]
    hard = conflicts({0: [(1, 100)], 1: [(1, 101)]}, {(100, 101)})
    assert split(2, [(0, 1, 5.0)], hard, forced=[True]) == [0, 1]


def test_three_way_household_splits_into_three():
    data = conflicts({0: [(0, 1)], 1: [(0, 2)], 2: [(0, 3)]}, {(1, 2), (1, 3), (2, 3)})
    assert split(3, [(0, 1, 3.9), (1, 2, 3.8), (0, 2, 3.7)], data) == [0, 1, 2]


@pytest.fixture(scope="module")
def run():
    con = duckdb.connect()
    rows = [
        person("pos", "p1", given_name="Nora", surname="Vale", email="nora.vale@mail.test", phone="6175550123"),
        person("web", "p2", given_name="Nora", surname="Vale", phone="617-555-0123", birthdate="1990-04-05"),
        person("loyalty", "p3", given_name="Nora", surname="Vale", email="nora.vale@mail.test"),
        person("web", "p4", given_name="Hugo", surname="Vale", phone="6175550123", birthdate="1960-01-01"),
    ]
    yield stitch(con, rows)
    con.close()


def test_explain_lists_each_comparison_the_rule_and_the_path(run):
    why = explain(run, ("web", "p2"), ("loyalty", "p3"))
    assert why.same_cluster and why.blocked_by == ()
    assert why.path[0][0] == ("web", "p2") and why.path[-1][0] == ("loyalty", "p3") and len(why.path) == 3
    given = next(c for c in why.comparisons if c.name == "given_name")
    assert (given.level, given.value1) == ("exact", "NORA") and given.weight > 0
    text = str(why)
    assert "given_name" in text and "path:" in text


def test_explain_names_the_rule_that_separated_a_household(run):
    why = explain(run, ("web", "p2"), ("web", "p4"))
    assert not why.same_cluster and why.score == 0.0
    assert why.rule == "separate:different-birthdates:birthdate"  # the rules are tried in order
    assert "phone" in why.blocked_by
    phone = next(c for c in why.comparisons if c.name == "phone")
    assert phone.level == "exact"


def test_explain_from_a_saved_run_matches_the_result(run, tmp_path):
    folder = save_result(run, tmp_path / "out")
    tables, settings = load_tables(folder)
    assert {"unified_coalesced", "unified_scores", "unified_preprocessed_raw", "blocking_keys", "bad_values", "model"} <= set(tables)
    assert settings == run.settings
    assert explain(folder, ("pos", "p1"), ("web", "p2")).score == explain(run, ("pos", "p1"), ("web", "p2")).score


def test_explain_of_an_unknown_record_fails(run):
    from amperity_pipelines.stitch import StitchInputError

    with pytest.raises(StitchInputError, match="nope"):
        explain(run, ("pos", "p1"), ("pos", "nope"))
