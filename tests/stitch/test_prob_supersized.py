"""No Amperity ID holds more records than the supersized threshold: such clusters are split
along their weakest links (`clustering.cap_clusters`), and the bad-value rule and the supersized
check both mean "more than N"."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from prob_helpers import ids, person, stitch

from amperity_pipelines.stitch.clustering import cap_clusters
from amperity_pipelines.stitch.components import connected_components


def capped(n, edges, cap, *, weight=None, forced=()):
    left = np.array([e[0] for e in edges], dtype=np.int64)
    right = np.array([e[1] for e in edges], dtype=np.int64)
    score = np.array([e[2] for e in edges], dtype=np.float64)
    force = np.array([i in forced for i in range(len(edges))])
    labels = connected_components(n, left, right)
    weights = np.ones(n, dtype=np.int64) if weight is None else np.array(weight)
    out, split = cap_clusters(labels, weights, left, right, score, force, cap)
    return out.tolist(), split


# Three pairs of records (strong links, 4.9) chained by one shared value (weak links, 3.2).
CHAIN = [(0, 1, 4.9), (2, 3, 4.9), (4, 5, 4.9), (1, 2, 3.2), (3, 4, 3.2)]


def test_a_cluster_at_the_threshold_stays_whole_and_one_over_it_is_cut_at_its_weakest_links():
    assert capped(6, CHAIN, 6) == ([0] * 6, 0)
    assert capped(6, CHAIN, 5) == ([0, 0, 2, 2, 4, 4], 1)
    assert capped(6, CHAIN, 2) == ([0, 0, 2, 2, 4, 4], 1)
    assert capped(6, CHAIN, 1) == ([0, 1, 2, 3, 4, 5], 1)


def test_pieces_that_fit_keep_their_weak_links():
    # 0-1-2 hold together at 4.0 (3 records); 3-4-5 at 4.5; only the 3.2 link between them goes.
    edges = [(0, 1, 4.0), (1, 2, 4.0), (3, 4, 4.5), (4, 5, 4.5), (2, 3, 3.2)]
    assert capped(6, edges, 4) == ([0, 0, 0, 3, 3, 3], 1)


def test_duplicates_count_as_the_records_they_stand_for():
    # node 0 stands for three records (itself and two trivial duplicates, weight 0)
    weight = [3, 1, 1, 0, 0]
    edges = [(0, 1, 4.0), (1, 2, 3.5)]
    assert capped(5, edges, 5, weight=weight)[0][:3] == [0, 0, 0]
    assert capped(5, edges, 4, weight=weight)[0][:3] == [0, 0, 2]
    assert capped(5, edges, 3, weight=weight)[0][:3] == [0, 1, 2]
    assert capped(5, [], 2, weight=weight) == ([0, 1, 2, 3, 4], 0), "one node over the cap cannot be split"


def test_equal_scores_are_one_level_whatever_the_edge_order():
    star = [(0, 1, 4.0), (0, 2, 4.0), (0, 3, 4.0)]
    results = {tuple(capped(4, list(order), 3)[0]) for order in itertools.permutations(star)}
    assert results == {(0, 1, 2, 3)}


def test_forced_edges_are_the_last_to_go():
    edges = [(0, 1, 1.0), (1, 2, 4.9), (2, 3, 4.9)]
    assert capped(4, edges, 2, forced=(0,))[0] == [0, 0, 2, 3]


def test_other_clusters_are_untouched():
    edges = [*CHAIN, (6, 7, 3.0)]
    assert capped(8, edges, 5)[0][6:] == [6, 6]


def family_chain(people: int) -> list[dict]:
    """`people` people, four records each (three identical), whose fourth record shares one junk phone."""
    names = ("Ann Lee", "Bob Ray", "Cid Moe", "Dot Kai", "Eve Nash", "Fay Orr", "Gus Pitt")[:people]
    rows = []
    for i, name in enumerate(names):
        given, surname = name.split()
        mine = {"given_name": given, "surname": surname, "email": f"{given.lower()}{i}@mail.org", "address": f"{i + 1} Elm St", "postal": "98101"}
        rows += [person("pos", f"p{i}a{k}", phone=f"20655501{i:02d}", **mine) for k in range(3)]
        rows.append(person("web", f"p{i}b", phone="4255550199", **mine))
    return rows


@pytest.mark.parametrize(("threshold", "clusters"), [(20, 1), (19, 5), (500, 1)])
def test_a_cluster_chained_by_one_shared_value_is_split_just_over_the_threshold(con, threshold, clusters):
    # Without the incompatible-names rule nothing else separates the five people.
    result = stitch(con, family_chain(5), rules=(), supersized_threshold=threshold)
    by_record = ids(result)
    people = [{by_record[("pos", f"p{i}a{k}")] for k in range(3)} | {by_record[("web", f"p{i}b")]} for i in range(5)]
    assert all(len(p) == 1 for p in people), "each person stays whole"
    assert len(set.union(*people)) == clusters
    assert result.stats.supersized_split == (clusters > 1)
    assert result.stats.supersized_clusters == 0 and result.stats.largest_cluster <= threshold
    assert not any(result.unified_coalesced.column("is_supersized").to_pylist())


@pytest.mark.parametrize(("names", "bad"), [(20, False), (21, True)])
def test_the_shared_value_rule_means_more_than_n_given_names_like_the_supersized_check(con, names, bad):
    given = [f"Name{chr(65 + i // 26)}{chr(65 + i % 26)}" for i in range(names)]
    rows = [person("web", f"s{i}", given_name=g, surname="Poe", email="house@shared.org") for i, g in enumerate(given)]
    listed = {(r["semantic"], r["value"]) for r in stitch(con, rows).bad_values.to_pylist()}
    assert (("email", "house@shared.org") in listed) is bad
