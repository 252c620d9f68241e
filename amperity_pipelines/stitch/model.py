"""The pairwise model: Fellegi-Sunter weights learned without labels, and the 0-5 score.

For a comparison level, m = P(level | same person) and u = P(level | different people); the
level adds log2(m / u) bits to the pair's match weight. A pair's match weight is the prior log2
odds that two random records are one person plus the bits of every comparable feature:

- u comes from data alone. The exact level's u is the chance that two random records share a
  value, sum(count * (count - 1)) / (n * (n - 1)) over the value counts (exact, no sampling);
  the other levels split the rest in the proportions seen on random record pairs.
- m comes from expectation-maximisation over the candidate pairs' level patterns with u held
  fixed (as Splink does), one EM session per blocking strategy: the session sees only the pairs
  that strategy blocked and leaves out of the likelihood the comparisons its key is made of.
  Those agree by construction, for the records of different people in the block as much as for
  one person's, so counting them would make every candidate pair look like a match (EM then
  settles on "all pairs match" and learns the disagreements of the different people as if one
  person made them). A comparison's m is the average over the sessions that left it in,
  weighted by each session's expected matches; a comparison no session leaves in takes m from
  one EM over all pairs. Priors (`Comparison.prior_m`, worth PRIOR_PAIRS pairs) keep rare
  levels sane; m is clamped to [1e-6, 1 - 1e-6], u to [1e-12, 1 - 1e-12].
- The prior (match share of random pairs) is the fixed point of "expected matches among the
  candidate pairs under the fitted weights, over all pairs" (`prior_share`).
- Random pairs contain true matches too; u is corrected for them (`corrected_u`). On the levels
  whose u comes from value counts, the matches taken out are counted, not modelled: the expected
  matches among the candidate pairs at that level (their posteriors), over the pairs that can be
  compared at all. For a value only one person ever has (a street address in a file of people
  without households), almost every pair sharing it is a match, and p * m (the modelled share)
  is too noisy a difference to tell 1 in 10^5 from 1 in 10^8.
- Weights are then made monotone: the lowest level is at most 0, the exact level at least 0,
  and each level at least the one below it (a running maximum).
- Term frequency: on the exact level of given name, surname and address the weight becomes
  log2(m_exact / (tf(value) * scale)), tf being the value's share of the records, clamped
  between the level below and the plain exact weight + TF_MAX_BOOST bits, so a shared JOHN
  counts less than a shared XIOMARA. A value's share counts its own person's other records too,
  which for a value few people share (an address) is most of it: `scale` (Model.tf_scale) is
  the level's u after the matches were taken out over its u as observed, so the value's share
  loses its matches in the same proportion.

Score (Amperity's category.strength, 0.0-5.0) from the match weight W, in bits (W = log2 of
the posterior odds, so High starts where a match becomes more likely than not):
    W < -14: 0 None      -14 <= W < -6: 1 Weak    -6 <= W < 0: 2 Moderate
    0 <= W < 10: 3 High  10 <= W: 4 Excellent      (5 Exact only by rule, see scoring.py)
with the fraction = the position of W inside its band (None from -28, Excellent up to 30),
floored to two decimals and at most .99. The mapping is non-decreasing in W.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
from sqlglot import exp

from amperity_pipelines.engines.sql_templates import fill
from amperity_pipelines.stitch.comparisons import BY_NAME, COMPARISONS, Comparison

PRIOR_PAIRS = 20.0
MIN_SESSION_PAIRS = 100
"""An EM session over fewer candidate pairs than this says too little to use."""
PRIOR_ROUNDS = 50
PROB_FLOOR = 1e-6
U_FLOOR = 1e-12
"""u may be far smaller than m's floor: two records of different people sharing an email is a
one-in-millions event, and the evidence of agreeing must keep growing with the record count
(the prior odds of a random pair shrink as 1/n)."""
TF_MAX_BOOST = 10.0
U_CORRECTION_ROUNDS = 2
U_FLOOR_SHARE = 0.05
SHARED_FLOOR_SHARE = 0.01
"""A value-count level keeps at least this share of the pairs seen sharing the value after the
counted matches are taken out (U_FLOOR_SHARE for the modelled correction of the other levels)."""
# (category, lower bound in bits, upper bound used for the fraction)
SCORE_BANDS: tuple[tuple[int, float, float], ...] = (
    (4, 10.0, 30.0),
    (3, 0.0, 10.0),
    (2, -6.0, 0.0),
    (1, -14.0, -6.0),
    (0, -28.0, -14.0),
)
CATEGORY_NAMES = {5: "Exact", 4: "Excellent", 3: "High", 2: "Moderate", 1: "Weak", 0: "None"}
PRIOR_ROW = "__prior__"


@dataclass(frozen=True)
class Model:
    """Fitted m, u and weights per comparison level, and the prior log2 odds of a random pair."""

    m: dict[str, np.ndarray]
    u: dict[str, np.ndarray]
    weights: dict[str, np.ndarray]
    prior: float
    """log2(P(match) / P(non-match)) for two records drawn at random."""
    tf_adjusted: tuple[str, ...] = ()
    tf_scale: dict[str, np.ndarray] = field(default_factory=dict)
    """Per comparison and level, the factor on a value's share of the records (1 when absent)."""

    def scale(self, name: str, level: int) -> float:
        scales = self.tf_scale.get(name)
        return 1.0 if scales is None else float(scales[level])

    def table(self) -> pa.Table:
        """One row per comparison level (comparison, level, level_name, m, u, weight, tf_adjusted,
        tf_scale), the prior last."""
        rows = [
            (name, i, BY_NAME[name].levels[i], float(self.m[name][i]), float(self.u[name][i]), float(w[i]),
             name in self.tf_adjusted, self.scale(name, i))
            for name, w in self.weights.items()
            for i in range(len(w))
        ]  # fmt: skip
        rows.append((PRIOR_ROW, 0, "prior", None, None, self.prior, False, None))
        names = ("comparison", "level", "level_name", "m", "u", "weight", "tf_adjusted", "tf_scale")
        return pa.table({n: [r[k] for r in rows] for k, n in enumerate(names)})

    @classmethod
    def from_table(cls, data: pa.Table) -> Model:
        rows = data.to_pylist()
        prior = next(r["weight"] for r in rows if r["comparison"] == PRIOR_ROW)
        m, u, w, tf, scale = {}, {}, {}, [], {}
        for c in COMPARISONS:
            mine = sorted((r for r in rows if r["comparison"] == c.name), key=lambda r: r["level"])
            if not mine:
                continue
            m[c.name] = np.array([r["m"] for r in mine])
            u[c.name] = np.array([r["u"] for r in mine])
            w[c.name] = np.array([r["weight"] for r in mine])
            scale[c.name] = np.array([r.get("tf_scale") or 1.0 for r in mine])  # older runs: no column
            if mine[0]["tf_adjusted"]:
                tf.append(c.name)
        return cls(m=m, u=u, weights=w, prior=prior, tf_adjusted=tuple(tf), tf_scale=scale)


# --- u ---------------------------------------------------------------------------------------


def frequency_query(matching: str, value: exp.Expression) -> exp.Expression:
    """P(two random records that have the value share it): sum c(c-1) / (n(n-1)) over value counts."""
    return fill(
        """
        SELECT COALESCE(SUM(c * (c - 1)) / NULLIF(SUM(c) * (SUM(c) - 1), 0), 0.0) AS u
        FROM (SELECT $v AS v, COUNT(*)::DOUBLE AS c FROM $m AS a WHERE $v IS NOT NULL GROUP BY 1)
        """,
        v=value,
        m=exp.to_table(matching),
    )


def u_probabilities(shared: dict[str, dict[int, float]], sampled: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """u per level.

    `shared[comparison][level]` is the chance that two random records share the level's value
    (Comparison.frequency): a level with such a value gets the difference to the next such
    level above it (same local part minus same email); the other levels split what is left in
    the proportions of the random pairs (`sampled` counts, each level seen once more than it
    was, so none is 0).
    """
    u = {}
    for c in COMPARISONS:
        probs = np.zeros(len(c.levels))
        above = 0.0
        for level in sorted(shared[c.name], reverse=True):
            at_least = min(max(shared[c.name][level], above + U_FLOOR), 1 - U_FLOOR)
            probs[level] = at_least - above
            above = at_least
        others = [k for k in range(len(c.levels)) if k not in shared[c.name]]
        counts = np.asarray(sampled.get(c.name, np.zeros(len(c.levels))), dtype=float)[others] + 1.0
        probs[others] = (1.0 - above) * counts / counts.sum()
        u[c.name] = np.clip(probs, U_FLOOR, 1 - U_FLOOR)
    return u


# --- m by EM ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Patterns:
    """Distinct level patterns of the candidate pairs: levels (rows x comparisons, -1 = NULL),
    the strategies that blocked them (bit masks) and how many pairs show each."""

    levels: np.ndarray
    blocked_by: np.ndarray
    counts: np.ndarray


def em(
    patterns: Patterns,
    u: dict[str, np.ndarray],
    *,
    iterations: int,
    rows: np.ndarray | None = None,
    leave_out: frozenset[str] = frozenset(),
):
    """Fit m (per comparison) and lambda (match share) on the selected pattern rows, u fixed.

    Comparisons in `leave_out` do not enter the likelihood (their m stays at the prior)."""
    select = np.ones(len(patterns.counts), bool) if rows is None else rows
    levels, counts = patterns.levels[select], patterns.counts[select].astype(float)
    m = {c.name: np.asarray(c.prior_m, float) / sum(c.prior_m) for c in COMPARISONS}
    used = [(j, c) for j, c in enumerate(COMPARISONS) if c.name not in leave_out]
    share = 0.3
    for _ in range(iterations):
        logit = np.full(len(counts), math.log(share / (1 - share)))
        for j, c in used:
            observed = levels[:, j] >= 0
            index = levels[observed, j]
            logit[observed] += np.log(m[c.name][index]) - np.log(u[c.name][index])
        responsibility = 1.0 / (1.0 + np.exp(-np.clip(logit, -700, 700)))
        weight = counts * responsibility
        share = float(np.clip(weight.sum() / max(counts.sum(), 1.0), 1e-6, 1 - 1e-6))
        new_m = dict(m)
        for j, c in used:
            observed = levels[:, j] >= 0
            totals = np.bincount(levels[observed, j], weights=weight[observed], minlength=len(c.levels))
            prior = np.asarray(c.prior_m, float) / sum(c.prior_m)
            new_m[c.name] = np.clip((totals + PRIOR_PAIRS * prior) / (totals.sum() + PRIOR_PAIRS), PROB_FLOOR, 1 - PROB_FLOOR)
        if all(np.allclose(new_m[k], m[k], atol=1e-6) for k in m):
            m = new_m
            break
        m = new_m
    return m, share


def free_strategies_mask(comparison: str, strategies: tuple[str, ...], fields: dict[str, frozenset[str]], bits) -> int:
    """Bit mask of the strategies whose key does not use `comparison`."""
    mask = 0
    for s in strategies:
        if comparison not in fields[s]:
            mask |= bits(s)
    return mask


def sessions(patterns: Patterns, free_masks: dict[str, int]) -> list[tuple[np.ndarray, frozenset[str]]]:
    """(rows, comparisons left out) per strategy bit with at least MIN_SESSION_PAIRS pairs.

    A strategy's key is made of the comparisons whose free mask lacks its bit."""
    present = np.bitwise_or.reduce(patterns.blocked_by) if len(patterns.blocked_by) else 0
    out = []
    for bit in (1 << k for k in range(int(present).bit_length())):
        if not present & bit:
            continue
        rows = (patterns.blocked_by & bit) != 0
        if patterns.counts[rows].sum() < MIN_SESSION_PAIRS:
            continue
        out.append((rows, frozenset(c.name for c in COMPARISONS if not free_masks.get(c.name, 0) & bit)))
    return out


def fit_m(patterns: Patterns, u: dict[str, np.ndarray], free_masks: dict[str, int], *, iterations: int):
    """m per comparison: the expected-match-weighted average over the strategy sessions that
    leave it in the likelihood (module docstring); EM over all pairs for the others. Also the
    match share among all candidate pairs of that last EM."""
    m_all, share = em(patterns, u, iterations=iterations)
    totals = {c.name: np.zeros(len(c.levels)) for c in COMPARISONS}
    weights = dict.fromkeys(totals, 0.0)
    for rows, left_out in sessions(patterns, free_masks):
        m_s, share_s = em(patterns, u, iterations=iterations, rows=rows, leave_out=left_out)
        matches = share_s * float(patterns.counts[rows].sum())
        for c in COMPARISONS:
            if c.name not in left_out:
                totals[c.name] += matches * m_s[c.name]
                weights[c.name] += matches
    m = {name: totals[name] / weights[name] if weights[name] > 0 else m_all[name] for name in totals}
    return m, share


def _pattern_bits(patterns: Patterns, m: dict[str, np.ndarray], u: dict[str, np.ndarray]) -> np.ndarray:
    bits = np.zeros(len(patterns.counts))
    for j, c in enumerate(COMPARISONS):
        observed = patterns.levels[:, j] >= 0
        index = patterns.levels[observed, j]
        bits[observed] += np.log2(m[c.name][index]) - np.log2(u[c.name][index])
    return bits


def match_posteriors(patterns: Patterns, m: dict[str, np.ndarray], u: dict[str, np.ndarray], p: float) -> np.ndarray:
    """P(match) of each pattern row at prior p (TF adjustments left out)."""
    odds = np.clip(_pattern_bits(patterns, m, u) + math.log2(p / (1 - p)), -1000, 1000)
    return 1.0 / (1.0 + np.exp2(-odds))


def prior_share(
    patterns: Patterns, m: dict[str, np.ndarray], u: dict[str, np.ndarray], all_pairs: float, start: float
) -> float:
    """Match share p of random pairs: the fixed point of p = (expected matches among the
    candidate pairs at prior p) / all pairs. Pairs blocking missed are not counted, so p is a
    little low, which errs on the side of not merging."""
    bits = _pattern_bits(patterns, m, u)
    p = min(max(start, 1.0 / all_pairs), 0.5)
    for _ in range(PRIOR_ROUNDS):
        odds = np.clip(bits + math.log2(p / (1 - p)), -1000, 1000)
        matches = float((patterns.counts / (1.0 + np.exp2(-odds))).sum())
        new = min(max(matches, 1.0) / all_pairs, 0.5)
        if abs(new - p) <= 1e-6 * p:
            return new
        p = new
    return p


def shared_matches(
    patterns: Patterns, posterior: np.ndarray, comparable_pairs: dict[str, float]
) -> dict[str, dict[int, float]]:
    """Comparison -> value-count level k -> expected matches among the candidate pairs at level k
    or above, as a share of the pairs on which the comparison can be made (`comparable_pairs`;
    comparisons missing there are left out)."""
    out: dict[str, dict[int, float]] = {}
    expected = patterns.counts * posterior
    for j, c in enumerate(COMPARISONS):
        pairs = comparable_pairs.get(c.name, 0.0)
        if pairs < 1:
            continue
        out[c.name] = {k: float(expected[patterns.levels[:, j] >= k].sum()) / pairs for k in c.frequency}
    return out


def comparable_pairs(sampled: dict[str, np.ndarray], records: int, sample_pairs: int) -> dict[str, float]:
    """Pairs of `records` on which each comparison can be made, from the random sample's level
    counts (`sampled`, comparison -> counts of its non-NULL levels over min(sample_pairs, all
    pairs) random pairs)."""
    all_pairs = records * (records - 1) / 2
    drawn = min(sample_pairs, all_pairs)
    if drawn < 1:
        return {}
    return {name: float(np.sum(counts)) / drawn * all_pairs for name, counts in sampled.items()}


def corrected_u(
    observed: np.ndarray, m: np.ndarray, match_share: float, *, counted: dict[int, float] | None = None
) -> np.ndarray:
    """u without the true matches that random pairs contain.

    Random pairs agree on a level with probability (1 - p) u + p m, p being the match share of
    random pairs: for a near-unique identifier (email, phone) most of that agreement is true
    matches, and taking it all for u caps the evidence of agreeing at even odds. Each level keeps
    at least U_FLOOR_SHARE of what was observed, so noise cannot make it infinitely telling.
    `counted` (level -> counted matches at that level or above, `shared_matches`) replaces p * m
    on the value-count levels (the top ones), which keep at least SHARED_FLOOR_SHARE.
    """
    u = np.maximum((observed - match_share * m) / (1 - match_share), U_FLOOR_SHARE * observed)
    above = 0.0
    for k in sorted(counted or {}, reverse=True):
        seen = float(observed[k:].sum())
        at_least = max((seen - counted[k]) / (1 - match_share), SHARED_FLOOR_SHARE * seen, above + U_FLOOR)
        u[k] = at_least - above
        above = at_least
    return np.clip(u / u.sum(), U_FLOOR, 1 - U_FLOOR)


def monotone_weights(m: np.ndarray, u: np.ndarray) -> np.ndarray:
    """log2(m/u) per level, lowest level <= 0 <= exact level, non-decreasing along the levels."""
    w = np.log2(m) - np.log2(u)
    w[0] = min(w[0], 0.0)
    w[-1] = max(w[-1], 0.0)
    return np.maximum.accumulate(w)


def fit(
    patterns: Patterns,
    u: dict[str, np.ndarray],
    free_masks: dict[str, int],
    *,
    candidate_pairs: int,
    records: int,
    iterations: int,
    tf_adjusted: tuple[str, ...],
    comparable: dict[str, float] | None = None,
) -> Model:
    """The model of the candidate pairs' `patterns`. `u` is observed on random pairs (matches
    included); `comparable` (`comparable_pairs`) lets the value-count levels take out counted
    matches, without it they take out modelled ones like the other levels."""
    all_pairs = max(records * (records - 1) / 2, 1.0)
    observed = u
    for _ in range(U_CORRECTION_ROUNDS + 1):
        m, share = fit_m(patterns, u, free_masks, iterations=iterations)
        p = prior_share(patterns, m, u, all_pairs, share * candidate_pairs / all_pairs)
        counted = shared_matches(patterns, match_posteriors(patterns, m, u, p), comparable or {})
        u = {name: corrected_u(observed[name], m[name], p, counted=counted.get(name)) for name in observed}
    weights = {c.name: monotone_weights(m[c.name], u[c.name]) for c in COMPARISONS}
    scale = {name: np.minimum(u[name] / np.maximum(observed[name], U_FLOOR), 1.0) for name in u}
    return Model(m=m, u=u, weights=weights, prior=math.log2(p / (1 - p)), tf_adjusted=tf_adjusted, tf_scale=scale)


# --- SQL of the weight and the score ---------------------------------------------------------


def level_weight(model: Model, comparison: Comparison, level: exp.Expression, tf: dict[str, exp.Expression]) -> exp.Expression:
    """Bits the comparison adds at `level` (0 when NULL); TF-adjusted levels read `tf[column]`.

    A TF-adjusted level weighs log2(m / tf(value)), kept between the level below (and 0 for the
    top level) and the next level above (the plain weight + TF_MAX_BOOST for the top level), so
    that the weights stay monotone.
    """
    w = model.weights[comparison.name]
    ifs = [exp.If(this=exp.Literal.number(i), true=exp.Literal.number(round(float(x), 6))) for i, x in enumerate(w)]
    if comparison.name in model.tf_adjusted:
        for k, name in comparison.tf.items():
            if name not in tf:
                continue
            low = float(w[k - 1]) if k > 0 else float(w[k])
            low = max(low, 0.0) if k == comparison.top else low
            high = float(w[k]) + TF_MAX_BOOST if k == comparison.top else float(w[k + 1])
            adjusted = fill(
                "GREATEST($low, LEAST($high, $log_m - LOG2(GREATEST($tf, 1e-9))))",
                low=round(low, 6),
                high=round(max(high, low), 6),
                log_m=round(float(np.log2(model.m[comparison.name][k]) - np.log2(model.scale(comparison.name, k))), 6),
                tf=tf[name],
            )
            ifs[k] = exp.If(this=exp.Literal.number(k), true=adjusted)
    return exp.Case(this=level, ifs=ifs, default=exp.Literal.number(0))


def match_weight(model: Model, levels: dict[str, exp.Expression], tfs: dict[str, exp.Expression]) -> exp.Expression:
    """The prior plus every comparison's bits; `tfs` maps tf column names to expressions."""
    total: exp.Expression = exp.Literal.number(round(model.prior, 6))
    for c in COMPARISONS:
        total = exp.Add(this=total, expression=level_weight(model, c, levels[c.name], tfs))
    return total


def score_from_weight(weight: exp.Expression) -> exp.Expression:
    """The 0.0-4.99 score of a match weight (see the module docstring)."""
    ifs = []
    for category, low, high in SCORE_BANDS:
        fraction = fill(
            "LEAST(0.99, GREATEST(0.0, FLOOR(($w - $low) / $width * 100) / 100))",
            w=weight,
            low=low,
            width=high - low,
        )
        ifs.append(exp.If(this=fill("$w >= $low", w=weight, low=low if category else -1e300), true=fill("$c + $f", c=float(category), f=fraction)))
    return exp.Case(ifs=ifs, default=exp.Literal.number(0.0))


def category_name(score: exp.Expression) -> exp.Expression:
    return exp.Case(
        this=fill("CAST(FLOOR($s) AS INTEGER)", s=score),
        ifs=[exp.If(this=exp.Literal.number(k), true=exp.Literal.string(v)) for k, v in CATEGORY_NAMES.items()],
    )


def score_of_weight(weight: float) -> float:
    """The same mapping in Python (explain, tests)."""
    for category, low, high in SCORE_BANDS:
        if weight >= low or category == 0:
            return category + min(0.99, max(0.0, math.floor((weight - low) / (high - low) * 100) / 100))
    return 0.0
