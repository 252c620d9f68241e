"""Fitting m without being fooled by blocking, and the prior of a random pair."""

import numpy as np
import pytest

from amperity_pipelines.stitch.comparisons import COMPARISONS
from amperity_pipelines.stitch.model import Model, Patterns, corrected_u, em, fit_m, prior_share, sessions

NAMES = [c.name for c in COMPARISONS]
GIVEN, SURNAME, BIRTH = NAMES.index("given_name"), NAMES.index("surname"), NAMES.index("birthdate")
TOP = {c.name: c.top for c in COMPARISONS}


def _u() -> dict[str, np.ndarray]:
    """Random pairs: almost never the same given name or birthdate."""
    u = {}
    for c in COMPARISONS:
        probs = np.full(len(c.levels), 1e-4)
        probs[0] = 1.0 - probs[1:].sum()
        u[c.name] = probs
    u["given_name"][-1] = 3e-3
    u["given_name"][0] = 1.0 - u["given_name"][1:].sum()
    return u


def _blocked_on_given_name() -> Patterns:
    """1,500 pairs of one block on the given name: 900 of one person (birthdate else 5% and
    surname else 10% of the time, independently), 600 of different people who happen to share
    the given name (birthdate and surname else)."""
    b, s = TOP["birthdate"], TOP["surname"]
    rows = [  # (birthdate level, surname level, count)
        (b, s, 900 * 0.95 * 0.9),
        (0, s, 900 * 0.05 * 0.9),
        (b, 0, 900 * 0.95 * 0.1),
        (0, 0, 900 * 0.05 * 0.1 + 600),
    ]
    levels = -np.ones((len(rows), len(COMPARISONS)), np.int64)
    for i, (birth, surname, _) in enumerate(rows):
        levels[i, GIVEN], levels[i, BIRTH], levels[i, SURNAME] = TOP["given_name"], birth, surname
    return Patterns(levels=levels, blocked_by=np.ones(len(rows), np.int64), counts=np.array([r[2] for r in rows]))


def test_a_session_leaves_out_what_its_block_agrees_on():
    patterns = _blocked_on_given_name()
    masks = {name: (0 if name == "given_name" else 1) for name in NAMES}  # strategy bit 1 is made of given_name
    (rows, left_out), = sessions(patterns, masks)
    assert rows.all() and left_out == {"given_name"}
    fooled, _ = em(patterns, _u(), iterations=50)
    m, _ = fit_m(patterns, _u(), masks, iterations=50)
    # Counting the block's own agreement, every pair looks like one person and their birthdates
    # disagree 43% of the time; leaving it out, the 5% of one person's pairs is recovered.
    assert fooled["birthdate"][0] > 0.3
    assert m["birthdate"][0] == pytest.approx(0.05, abs=0.02)
    assert m["surname"][0] == pytest.approx(0.10, abs=0.03)


def test_small_sessions_are_skipped():
    patterns = _blocked_on_given_name()
    small = Patterns(levels=patterns.levels, blocked_by=patterns.blocked_by, counts=patterns.counts / 100)
    assert sessions(small, dict.fromkeys(NAMES, 1)) == []


def test_prior_share_counts_the_expected_matches_over_all_pairs():
    """100 pairs that agree on everything, 900 that disagree: about 100 matches among 1e6 pairs."""
    levels = -np.ones((2, len(COMPARISONS)), np.int64)
    levels[0, GIVEN], levels[0, BIRTH] = TOP["given_name"], TOP["birthdate"]
    levels[1, GIVEN], levels[1, BIRTH] = 0, 0
    patterns = Patterns(levels=levels, blocked_by=np.ones(2, np.int64), counts=np.array([100.0, 900.0]))
    m = {c.name: np.full(len(c.levels), 1.0 / len(c.levels)) for c in COMPARISONS}
    for name in ("given_name", "birthdate"):  # matches agree exactly 95% of the time
        m[name] = np.full(TOP[name] + 1, 0.05 / TOP[name])
        m[name][-1] = 0.95
    p = prior_share(patterns, m, _u(), all_pairs=1e6, start=0.3)
    assert p == pytest.approx(100 / 1e6, rel=0.05)


def test_counted_matches_take_a_unique_value_near_its_floor():
    """A street address only one person ever has: nearly all pairs sharing it are that person."""
    observed = np.array([0.999, 9e-4, 5e-5, 3e-5, 2e-5, 2.2e-5])
    observed = observed / observed.sum()
    m = np.array([0.01, 0.08, 0.02, 0.4, 0.3, 0.19])
    modelled = corrected_u(observed, m, match_share=9.9e-5)
    counted = corrected_u(observed, m, match_share=9.9e-5, counted={5: observed[5] * 0.999})
    assert counted[5] == pytest.approx(0.01 * observed[5], rel=0.05)  # the floor: 1% of what was seen
    assert counted[5] < modelled[5] / 10
    assert np.allclose(counted[:5] / counted[:5].sum(), modelled[:5] / modelled[:5].sum())


def test_tf_scale_round_trips_and_defaults_to_one():
    names = [c.name for c in COMPARISONS]
    flat = {n: np.full(len(c.levels), 1.0 / len(c.levels)) for n, c in zip(names, COMPARISONS, strict=True)}
    model = Model(m=flat, u=flat, weights=flat, prior=-12.0, tf_adjusted=("address",),
                  tf_scale={"address": np.linspace(0.1, 1.0, TOP["address"] + 1)})
    back = Model.from_table(model.table())
    assert back.scale("address", 0) == pytest.approx(0.1) and back.scale("given_name", TOP["given_name"]) == 1.0
    older = model.table().drop_columns(["tf_scale"])
    assert Model.from_table(older).scale("address", 0) == 1.0
