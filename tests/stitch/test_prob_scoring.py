"""The model and the score: weights, the 0-5 mapping, overrides and rules, and monotonicity
(more agreement never lowers a score)."""

import itertools

import duckdb
import numpy as np
import pyarrow as pa
import pytest

from amperity_pipelines.engines.sql_templates import fill, render
from amperity_pipelines.stitch import Rule, StitchSettings
from amperity_pipelines.stitch.comparisons import COMPARISONS, TF_COLUMNS
from amperity_pipelines.stitch.model import (
    Model,
    Patterns,
    corrected_u,
    em,
    monotone_weights,
    score_from_weight,
    score_of_weight,
    u_probabilities,
)
from amperity_pipelines.stitch.scoring import level_column, scores_query

BY_NAME = {c.name: c for c in COMPARISONS}
GIVEN_EXACT = BY_NAME["given_name"].top


def toy_model(tf_adjusted=()) -> Model:
    """Weights of a plausible fit: strongly negative disagreement, strongly positive exact agreement."""
    m, u, w = {}, {}, {}
    for c in COMPARISONS:
        n = len(c.levels)
        m[c.name] = np.linspace(0.02, 0.9, n) / np.linspace(0.02, 0.9, n).sum()
        u[c.name] = np.geomspace(0.98, 1e-5, n) / np.geomspace(0.98, 1e-5, n).sum()
        w[c.name] = monotone_weights(m[c.name], u[c.name])
    return Model(m=m, u=u, weights=w, prior=-15.0, tf_adjusted=tuple(tf_adjusted))


def score_levels(rows: list[dict], settings=StitchSettings(), model=None) -> list[tuple[float, str | None]]:
    """Scores of level patterns (dicts comparison -> level or None; flags default False)."""
    con = duckdb.connect()
    data = {"l": list(range(len(rows))), "r": list(range(len(rows))), "blocked_by": [0] * len(rows)}
    for c in COMPARISONS:
        data[level_column(c.name)] = pa.array([r.get(c.name) for r in rows], pa.int8())
    for name in TF_COLUMNS:
        data[name] = pa.array([r.get(name) for r in rows], pa.float64())
    for flag in ("fk_equal", "sk_conflict", "label_together", "label_apart"):
        data[flag] = [r.get(flag, False) for r in rows]
    for i, _ in enumerate(settings.rules):
        data[f"rule_{i}"] = [r.get(f"rule_{i}", False) for r in rows]
    con.register("levels", pa.table(data))
    out = con.execute(render(scores_query("levels", model or toy_model(), settings)) + " ORDER BY l").fetchall()
    return [(row[4], row[5]) for row in out]


def test_score_bands_are_monotone_and_bounded():
    weights = np.linspace(-60, 60, 2001)
    scores = [score_of_weight(w) for w in weights]
    assert all(a <= b for a, b in itertools.pairwise(scores))
    assert scores[0] == 0.0 and max(scores) <= 4.99
    assert score_of_weight(0.0) == 3.0 and score_of_weight(-0.01) == 2.99 and score_of_weight(10.0) == 4.0


def test_sql_and_python_score_mappings_agree():
    con = duckdb.connect()
    for w in (-40.0, -14.0, -9.5, -6.0, -0.5, 0.0, 3.3, 9.99, 10.0, 25.0, 99.0):
        sql = con.execute(render(fill("SELECT $s", s=score_from_weight(fill("CAST($w AS DOUBLE)", w=w))))).fetchone()[0]
        assert sql == pytest.approx(score_of_weight(w)), w


def test_weights_are_monotone_with_disagreement_at_most_zero_and_exact_at_least_zero():
    w = monotone_weights(np.array([0.5, 0.1, 0.3, 0.1]), np.array([0.4, 0.3, 0.2, 0.1]))
    assert all(a <= b for a, b in itertools.pairwise(w)) and w[0] <= 0 <= w[-1]


def test_more_agreement_never_lowers_a_score():
    """Every pattern over the strongest comparisons, raised one level at a time (missing -> any level
    is not 'more agreement' unless it is the exact level)."""
    names = ("given_name", "surname", "email", "phone", "address", "birthdate")
    rng = np.random.default_rng(3)
    patterns = []
    for _ in range(300):
        patterns.append({n: (None if rng.random() < 0.3 else int(rng.integers(len(BY_NAME[n].levels)))) for n in names})
    raised = []
    for p in patterns:
        for n in names:
            top = BY_NAME[n].top
            if p[n] is None:
                raised.append((p, {**p, n: top}))
            elif p[n] < top:
                raised.append((p, {**p, n: p[n] + 1}))
    before = score_levels([a for a, _ in raised])
    after = score_levels([b for _, b in raised])
    worse = [(a, b, s, t) for (a, b), (s, _), (t, _) in zip(raised, before, after, strict=True) if t < s]
    assert not worse, worse[:3]


def test_tf_adjustment_keeps_monotone_and_ranks_common_values_lower():
    model = toy_model(tf_adjusted=("given_name", "surname"))
    base = {"email": 2}
    exact, nick = (BY_NAME["given_name"].levels.index(name) for name in ("exact", "nickname"))
    common = {**base, "given_name": exact, "tf_given_name": 0.05}
    rare = {**base, "given_name": exact, "tf_given_name": 1e-6}
    nickname = {**base, "given_name": nick, "tf_given_name": 0.05}
    (c, _), (r, _), (n, _) = score_levels([common, rare, nickname], model=model)
    assert r >= c >= n


def test_overrides_and_rules_decide_before_the_model():
    settings = StitchSettings()
    rows = [
        {"email": 2, "fk_equal": True, "sk_conflict": True},  # fk-priority: fk wins
        {"email": 2, "sk_conflict": True},
        {"email": 2, "rule_0": True},  # different generations
        {"email": 2, "label_apart": True, "fk_equal": True},
        {"label_together": True},
        {"given_name": GIVEN_EXACT, "surname": 3, "email": 2, "phone": 2, "address": BY_NAME["address"].top},
        {"given_name": GIVEN_EXACT - 1, "surname": 3, "postal": BY_NAME["postal"].top},  # names and a place: Weak at most
        {"given_name": GIVEN_EXACT, "surname": 3, "postal": BY_NAME["postal"].top},  # ... unless all of it agrees exactly
    ]
    out = score_levels(rows, settings)
    assert out[0] == (5.0, "fk-identical")
    assert out[1] == (0.0, "sk-conflict")
    assert out[2] == (0.0, "separate:different-generations:generational_suffix")
    assert out[3] == (0.0, "label-apart")
    assert out[4] == (5.0, "label-together")
    assert out[5] == (5.0, "all-exact")
    assert out[6][0] <= 1.99 and out[6][1] is None
    assert out[7] == (5.0, "all-exact")


def test_sk_priority_puts_separation_keys_first():
    out = score_levels([{"fk_equal": True, "sk_conflict": True}], StitchSettings(classifier="sk-priority"))
    assert out[0] == (0.0, "sk-conflict")


def test_cluster_rules_and_no_model_fallback():
    settings = StitchSettings(rules=(Rule("present-and-equal", "phone"),), model_fallback=False)
    out = score_levels([{"rule_0": True}, {"email": 2, "given_name": GIVEN_EXACT}], settings)
    assert out == [(5.0, "cluster:present-and-equal:phone"), (0.0, "no-rule")]


def test_u_from_value_frequencies_and_sampled_levels():
    shared = {c.name: {c.top: 0.001} for c in COMPARISONS}
    shared["email"] = {2: 1e-6, 1: 1e-5}
    sampled = {c.name: np.arange(len(c.levels), 0, -1) * 100.0 for c in COMPARISONS}
    u = u_probabilities(shared, sampled)
    assert u["email"][2] == pytest.approx(1e-6) and u["email"][1] == pytest.approx(9e-6)
    assert u["surname"].sum() == pytest.approx(1.0) and u["surname"][3] == pytest.approx(0.001)


def test_corrected_u_removes_true_matches_from_random_agreement():
    observed = np.array([0.99999, 1e-5])
    u = corrected_u(observed, np.array([0.2, 0.8]), match_share=1e-5)
    assert u[1] < observed[1] and u[1] >= 0.05 * observed[1] * 0.99


def test_em_recovers_m_on_separable_patterns():
    # two comparisons with two levels; matches agree on both 90% of the time
    levels = np.array([[1, 1], [1, 0], [0, 1], [0, 0]])
    counts = np.array([810.0 + 1, 90.0 + 99, 90.0 + 99, 10.0 + 9801])
    patterns = Patterns(
        levels=np.hstack([levels, -np.ones((4, len(COMPARISONS) - 2), int)]),
        blocked_by=np.ones(4, np.int64),
        counts=counts,
    )
    names = [c.name for c in COMPARISONS]
    u = {c.name: np.full(len(c.levels), 1.0 / len(c.levels)) for c in COMPARISONS}
    for name in names[:2]:
        u[name] = np.zeros(len(BY_NAME[name].levels))
        u[name][0], u[name][-1] = 0.99, 0.01
        if len(u[name]) > 2:
            u[name][1:-1] = 1e-9
    # comparisons 0 and 1 are given_name (6 levels) and surname (4): use their lowest and top levels
    patterns.levels[:, 0] = np.where(levels[:, 0] == 1, BY_NAME[names[0]].top, 0)
    patterns.levels[:, 1] = np.where(levels[:, 1] == 1, BY_NAME[names[1]].top, 0)
    m, share = em(patterns, u, iterations=50)
    assert share == pytest.approx(0.09, abs=0.02)
    assert m[names[0]][-1] == pytest.approx(0.9, abs=0.05)


def test_model_table_round_trips():
    model = toy_model(tf_adjusted=("surname",))
    back = Model.from_table(model.table())
    assert back.prior == model.prior and back.tf_adjusted == ("surname",)
    assert np.allclose(back.weights["email"], model.weights["email"])


def test_level_expressions_golden():
    assert render(BY_NAME["phone"].level()) == (
        "CASE WHEN a.phone IS NULL OR b.phone IS NULL THEN NULL WHEN a.phone = b.phone THEN 2 "
        "WHEN RIGHT(a.phone, 7) = RIGHT(b.phone, 7) THEN 1 ELSE 0 END"
    )
    assert render(BY_NAME["email"].level()) == (
        "CASE WHEN a.email IS NULL OR b.email IS NULL THEN NULL WHEN a.email = b.email THEN 2 "
        "WHEN SPLIT_PART(a.email, '@', 1) = SPLIT_PART(b.email, '@', 1) THEN 1 ELSE 0 END"
    )

