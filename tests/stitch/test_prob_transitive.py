"""Unified Scores lists the pairs that share a cluster only through other records (scored_transitive)."""

from __future__ import annotations

import duckdb
from prob_helpers import person, stitch, together


def test_a_pair_joined_through_a_third_record_is_scored_transitively():
    rows = [
        person("pos", "t1", given_name="Quentin", surname="Ashdown", email="q.ashdown@mailhub.net", birthdate="1971-03-09"),
        person("web", "t2", given_name="Quentin", surname="Ashdown", email="q.ashdown@mailhub.net", phone="2065550911",
               birthdate="1971-03-09"),
        person("loyalty", "t3", given_name="Quentin", surname="Ashdown", phone="(206) 555-0911", birthdate="1971-03-09"),
    ]
    result = stitch(duckdb.connect(), rows, strategies=("email", "phone"))
    assert together(result, ("pos", "t1"), ("web", "t2"), ("loyalty", "t3"))
    scores = {
        frozenset({(r["source1"], r["pk1"]), (r["source2"], r["pk2"])}): r
        for r in result.unified_scores.to_pylist()
        if {r["pk1"], r["pk2"]} <= {"t1", "t2", "t3"}
    }
    transitive = scores[frozenset({("pos", "t1"), ("loyalty", "t3")})]
    assert transitive["match_type"] == "scored_transitive" and transitive["score"] > 0
    assert scores[frozenset({("pos", "t1"), ("web", "t2")})]["match_type"] == "scored"
