"""Scoring candidate pairs: comparison levels, then overrides, rules and the model's score.

Two queries, so that the model can be fitted between them:
1. `levels_query`: per pair, each comparison's level, the TF of the shared values and the flags
   the overrides need (identical FK, conflicting separation key, labels, each rule).
2. `scores_query`: the match weight (bits), the 0.0-5.0 score and what decided it (`rule`).

Decision order, first match wins (product notes 3.4):
  labels (apart -> 0.0, together -> 5.0);
  fk-priority: identical FK -> 5.0, then conflicting SK -> 0.0 (sk-priority: the other way round);
  the settings' rules in order (cluster -> 5.0, separate -> 0.0);
  Exact (5.0) when at least three comparisons are possible, all agree exactly and the match
  weight is at least Excellent's (all profile data matches, and it is rare enough to tell); else the model's score (or 0.0 without model_fallback),
  capped at Weak (1.99) when no unique attribute (email, phone, street address, birthdate)
  agrees: names and places alone are Weak evidence, as in Amperity's categories (a setting,
  cap_weak_without_unique, since data where fields are often wholly mistyped may have nothing
  else agreeing).
"""

from __future__ import annotations

from sqlglot import exp

from amperity_pipelines.engines.sql_templates import column, fill, table, union_all
from amperity_pipelines.stitch.comparisons import COMPARISONS, TF_COLUMNS, rule_predicate, sk_conflict
from amperity_pipelines.stitch.model import SCORE_BANDS, Model, match_weight, score_from_weight
from amperity_pipelines.stitch.settings import StitchSettings

FK_OVERRIDE, SK_OVERRIDE = "fk-identical", "sk-conflict"
LABEL_TOGETHER, LABEL_APART = "label-together", "label-apart"
ALL_EXACT, NO_RULE = "all-exact", "no-rule"
EXCELLENT_BITS = next(low for category, low, _ in SCORE_BANDS if category == 4)


def level_column(name: str) -> str:
    return f"lv_{name}"


def rule_column(index: int) -> str:
    return f"rule_{index}"


def levels_query(
    pairs: str,
    matching: str,
    nicknames: str,
    label_pairs: str | None,
    *,
    fk_bit: int,
    sk_columns: tuple[str, ...],
    settings: StitchSettings,
) -> exp.Expression:
    """Per pair (l, r, blocked_by): lv_<comparison>, tf_<name>, fk_equal, sk_conflict, label flags, rule_<i>."""
    values = [column("l", "p"), column("r", "p"), column("blocked_by", "p")]
    values += [exp.cast(c.level(), "TINYINT").as_(level_column(c.name)) for c in COMPARISONS]
    values += [column(name, "a").as_(name) for name in TF_COLUMNS]
    values.append(fill("(p.blocked_by & $bit) <> 0", bit=fk_bit).as_("fk_equal"))
    values.append(sk_conflict(sk_columns).as_("sk_conflict"))
    if label_pairs is not None:
        values.append(fill("COALESCE(lp.together, FALSE)").as_("label_together"))
        values.append(fill("COALESCE(lp.apart, FALSE)").as_("label_apart"))
    else:
        values += [exp.false().as_("label_together"), exp.false().as_("label_apart")]
    values += [rule_predicate(rule).as_(rule_column(i)) for i, rule in enumerate(settings.rules)]
    query = fill(
        """
        SELECT $values
        FROM $pairs AS p
        JOIN $m AS a ON a.rid = p.l
        JOIN $m AS b ON b.rid = p.r
        LEFT JOIN $nick AS n ON n.name = a.given_name AND n.other = b.given_name
        """,
        values=values,
        pairs=table(pairs),
        m=table(matching),
        nick=table(nicknames),
    )
    if label_pairs is not None:
        query = query.join(
            table(label_pairs).as_("lp"), on=fill("lp.l = p.l AND lp.r = p.r"), join_type="left"
        )
    return query


def _levels(alias: str | None = None) -> dict[str, exp.Expression]:
    return {c.name: column(level_column(c.name), alias) for c in COMPARISONS}


def all_exact() -> exp.Expression:
    """At least three comparisons possible and every possible one at its exact level."""
    levels = _levels()
    present: exp.Expression = exp.Literal.number(0)
    for c in COMPARISONS:
        present = exp.Add(this=present, expression=fill("CASE WHEN $l IS NULL THEN 0 ELSE 1 END", l=levels[c.name]))
    agree = exp.and_(*(fill("COALESCE($l = $top, TRUE)", l=levels[c.name], top=c.top) for c in COMPARISONS))
    return fill("($present >= 3 AND $agree)", present=present, agree=agree)


# A comparison agreeing at least this far is evidence about a person, not about a name or a place.
UNIQUE_LEVELS: dict[str, str] = {"email": "exact", "phone": "exact", "address": "fuzzy", "birthdate": "typo"}
WEAK_CAP = 1.99


def unique_agreement() -> exp.Expression:
    """Some unique attribute (email, phone, street address, birthdate) agrees; without one, a pair
    matches on names and places only and the model scores it Weak at most (Amperity's categories)."""
    levels = _levels()
    by_name = {c.name: c for c in COMPARISONS}
    return exp.or_(
        *(
            fill("COALESCE($l >= $k, FALSE)", l=levels[name], k=by_name[name].levels.index(level))
            for name, level in UNIQUE_LEVELS.items()
        )
    )


def model_score(*, weak_cap: bool = True) -> exp.Expression:
    """The model's 0.0-4.99 score of the match weight `w`, Weak at most without unique agreement
    (unless `weak_cap` is off: StitchSettings.cap_weak_without_unique)."""
    if not weak_cap:
        return score_from_weight(column("w"))
    return fill(
        "CASE WHEN $unique THEN $score ELSE LEAST($score, $cap) END",
        unique=unique_agreement(),
        score=score_from_weight(column("w")),
        cap=WEAK_CAP,
    )


def decisions(settings: StitchSettings) -> list[tuple[exp.Expression, float, str]]:
    """(condition, score, rule name) in the order they are tried."""
    fk = (column("fk_equal"), 5.0, FK_OVERRIDE)
    sk = (column("sk_conflict"), 0.0, SK_OVERRIDE)
    order = [(column("label_apart"), 0.0, LABEL_APART), (column("label_together"), 5.0, LABEL_TOGETHER)]
    order += [fk, sk] if settings.classifier == "fk-priority" else [sk, fk]
    order += [
        (column(rule_column(i)), 5.0 if rule.action == "cluster" else 0.0, rule.name) for i, rule in enumerate(settings.rules)
    ]
    return order


def scores_query(levels: str, model: Model, settings: StitchSettings) -> exp.Expression:
    """Per pair: match_weight (bits), score (0.0-5.0) and rule (what decided; NULL = the model)."""
    tfs = {name: column(name) for name in TF_COLUMNS}
    weight = match_weight(model, _levels(), tfs)
    order = decisions(settings)
    exact = fill("$all AND w >= $bits", all=all_exact(), bits=EXCELLENT_BITS)
    fallback = model_score(weak_cap=settings.cap_weak_without_unique) if settings.model_fallback else exp.Literal.number(0.0)
    score = exp.Case(
        ifs=[exp.If(this=cond, true=exp.Literal.number(value)) for cond, value, _ in order]
        + [exp.If(this=exact, true=exp.Literal.number(5.0))],
        default=fallback,
    )
    rule = exp.Case(
        ifs=[exp.If(this=cond, true=exp.Literal.string(name)) for cond, _, name in order]
        + [exp.If(this=exact.copy(), true=exp.Literal.string(ALL_EXACT))],
        default=exp.null() if settings.model_fallback else exp.Literal.string(NO_RULE),
    )
    return fill(
        """
        SELECT l, r, blocked_by, w AS match_weight, CAST($score AS DOUBLE) AS score, $rule AS rule
        FROM (SELECT *, $weight AS w FROM $levels)
        """,
        score=score,
        rule=rule,
        weight=weight,
        levels=table(levels),
    )


def patterns_query(levels: str) -> exp.Expression:
    """Distinct (levels..., blocked_by) with their pair counts, for EM (-1 stands for NULL)."""
    cols = [fill("COALESCE($l, -1)", l=column(level_column(c.name))).as_(level_column(c.name)) for c in COMPARISONS]
    return fill(
        "SELECT $cols, blocked_by, COUNT(*) AS n FROM $levels GROUP BY ALL",
        cols=cols,
        levels=table(levels),
    )


def sampled_levels_query(levels: str) -> exp.Expression:
    """(comparison, level, n) counts over the random pairs, for u."""
    unions = [
        fill(
            "SELECT $name AS comparison, $l AS level, COUNT(*) AS n FROM $t WHERE $l IS NOT NULL GROUP BY $l",
            name=c.name,
            l=column(level_column(c.name)),
            t=table(levels),
        )
        for c in COMPARISONS
    ]
    return union_all(unions)
