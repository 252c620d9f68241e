"""Comparisons: for a pair of preprocessed records, one agreement level per feature.

A comparison maps two values to a small integer: its levels are listed from least to most
agreement (the last is always exact agreement), and NULL means "cannot compare" (a value is
missing), which contributes nothing to the score. The model learns one weight per level and
keeps the weights non-decreasing along that order, so more agreement never lowers a score.

Every function takes the two sides as table aliases (`a`, `b`) of the matching table, plus the
nickname flag of the pair (`n.name IS NOT NULL` after joining the nickname table). The rule
predicates at the end are reused by clustering on pairs of *values*, so they only ever read
the columns of their own semantic.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlglot import exp

from amperity_pipelines.stitch.settings import Rule
from amperity_pipelines.stitch.sql import column, fill

NAME_JW_HIGH, NAME_JW_LOW, ADDRESS_JW = 0.92, 0.80, 0.90


@dataclass(frozen=True)
class Comparison:
    name: str
    levels: tuple[str, ...]
    """Level names, least agreement first; the last one is exact agreement."""
    prior_m: tuple[float, ...]
    """Share of true matches expected at each level, the starting point (and prior) of EM."""
    build: Callable[[str, str, str], exp.Expression]
    """(left alias, right alias, nickname table alias) -> level expression."""
    frequency: dict[int, Callable[[str], exp.Expression]]
    """Levels whose u comes from value counts: level -> the value two records share at that
    level *or above* (one side's alias). The top level is always among them."""
    tf: dict[int, str] = field(default_factory=dict)
    """Levels whose weight is term-frequency adjusted: level -> tf column of the matching table."""

    def level(self, a: str = "a", b: str = "b", nick: str = "n") -> exp.Expression:
        return self.build(a, b, nick)

    @property
    def top(self) -> int:
        return len(self.levels) - 1


def _col(alias: str, name: str) -> exp.Column:
    return column(name, alias)


def given_name_level(a: str, b: str, nick: str) -> exp.Expression:
    """else < initial < jw>=0.80 < jw>=0.92 < nickname < exact.

    Two known given names (given_name_code = their sound code, NULL for unknown names) that are
    not nicknames of each other and sound different are 'else' however alike they are spelt
    (MARY, MARK): households are full of such pairs.
    """
    return fill(
        """
        CASE
          WHEN $x IS NULL OR $y IS NULL THEN NULL
          WHEN $x = $y THEN 5
          WHEN $nick IS NOT NULL THEN 4
          WHEN $cx <> $cy THEN 0
          WHEN JARO_WINKLER_SIMILARITY($x, $y) >= $high THEN 3
          WHEN JARO_WINKLER_SIMILARITY($x, $y) >= $low THEN 2
          WHEN (LENGTH($x) = 1 OR LENGTH($y) = 1) AND LEFT($x, 1) = LEFT($y, 1) THEN 1
          ELSE 0
        END
        """,
        x=_col(a, "given_name"),
        y=_col(b, "given_name"),
        cx=_col(a, "given_name_code"),
        cy=_col(b, "given_name_code"),
        nick=column("name", nick),
        high=NAME_JW_HIGH,
        low=NAME_JW_LOW,
    )


def surname_level(a: str, b: str, nick: str) -> exp.Expression:
    """else < jw>=0.80 < jw>=0.92 < exact."""
    return fill(
        """
        CASE
          WHEN $x IS NULL OR $y IS NULL THEN NULL
          WHEN $x = $y THEN 3
          WHEN JARO_WINKLER_SIMILARITY($x, $y) >= $high THEN 2
          WHEN JARO_WINKLER_SIMILARITY($x, $y) >= $low THEN 1
          ELSE 0
        END
        """,
        x=_col(a, "surname"),
        y=_col(b, "surname"),
        high=NAME_JW_HIGH,
        low=NAME_JW_LOW,
    )


def email_level(a: str, b: str, nick: str) -> exp.Expression:
    """else < same local part (another domain) < exact."""
    return fill(
        """
        CASE
          WHEN $x IS NULL OR $y IS NULL THEN NULL
          WHEN $x = $y THEN 2
          WHEN SPLIT_PART($x, '@', 1) = SPLIT_PART($y, '@', 1) THEN 1
          ELSE 0
        END
        """,
        x=_col(a, "email"),
        y=_col(b, "email"),
    )


def phone_level(a: str, b: str, nick: str) -> exp.Expression:
    """else < same last 7 digits < exact (10 digits)."""
    return fill(
        """
        CASE
          WHEN $x IS NULL OR $y IS NULL THEN NULL
          WHEN $x = $y THEN 2
          WHEN RIGHT($x, 7) = RIGHT($y, 7) THEN 1
          ELSE 0
        END
        """,
        x=_col(a, "phone"),
        y=_col(b, "phone"),
    )


def same_place(a: str, b: str) -> exp.Expression:
    """Postal codes agree, else (a postal missing) cities agree, else nothing says otherwise."""
    return fill(
        "COALESCE($pa = $pb, $ca = $cb, TRUE)",
        pa=_col(a, "postal"),
        pb=_col(b, "postal"),
        ca=_col(a, "city"),
        cb=_col(b, "city"),
    )


def address_level(a: str, b: str, nick: str) -> exp.Expression:
    """else < other street, same postal < street jw>=0.90 in the same place < same street, same place.

    The street is address + address2 with abbreviations expanded and unit designators dropped.
    """
    return fill(
        """
        CASE
          WHEN $x IS NULL OR $y IS NULL THEN NULL
          WHEN $x = $y AND $place THEN 3
          WHEN JARO_WINKLER_SIMILARITY($x, $y) >= $jw AND $place THEN 2
          WHEN $pa = $pb THEN 1
          ELSE 0
        END
        """,
        x=_col(a, "address_key"),
        y=_col(b, "address_key"),
        place=same_place(a, b),
        jw=ADDRESS_JW,
        pa=_col(a, "postal"),
        pb=_col(b, "postal"),
    )


def postal_level(a: str, b: str, nick: str) -> exp.Expression:
    """else < exact; only when the address cannot be compared (it already weighs the postal code)."""
    return fill(
        """
        CASE
          WHEN $xa IS NOT NULL AND $ya IS NOT NULL THEN NULL
          WHEN $x IS NULL OR $y IS NULL THEN NULL
          WHEN $x = $y THEN 1
          ELSE 0
        END
        """,
        xa=_col(a, "address_key"),
        ya=_col(b, "address_key"),
        x=_col(a, "postal"),
        y=_col(b, "postal"),
    )


def birthdate_level(a: str, b: str, nick: str) -> exp.Expression:
    """else < within a year < day and month transposed < exact."""
    return fill(
        """
        CASE
          WHEN $x IS NULL OR $y IS NULL THEN NULL
          WHEN $x = $y THEN 3
          WHEN YEAR($x) = YEAR($y) AND MONTH($x) = DAY($y) AND DAY($x) = MONTH($y) THEN 2
          WHEN ABS(DATE_DIFF('day', $x, $y)) <= 365 THEN 1
          ELSE 0
        END
        """,
        x=_col(a, "birthdate"),
        y=_col(b, "birthdate"),
    )


def _equal_level(name: str) -> Callable[[str, str, str], exp.Expression]:
    def build(a: str, b: str, nick: str) -> exp.Expression:
        return fill(
            "CASE WHEN $x IS NULL OR $y IS NULL THEN NULL WHEN $x = $y THEN 1 ELSE 0 END",
            x=_col(a, name),
            y=_col(b, name),
        )

    return build


def company_level(a: str, b: str, nick: str) -> exp.Expression:
    """else < jw>=0.90 < exact."""
    return fill(
        """
        CASE
          WHEN $x IS NULL OR $y IS NULL THEN NULL
          WHEN $x = $y THEN 2
          WHEN JARO_WINKLER_SIMILARITY($x, $y) >= $jw THEN 1
          ELSE 0
        END
        """,
        x=_col(a, "company"),
        y=_col(b, "company"),
        jw=ADDRESS_JW,
    )


def _value(name: str) -> Callable[[str], exp.Expression]:
    return lambda alias: _col(alias, name)


def _place_value(alias: str) -> exp.Expression:
    return fill("$k || '|' || COALESCE($p, $c, '')", k=_col(alias, "address_key"), p=_col(alias, "postal"), c=_col(alias, "city"))


def _local_part(alias: str) -> exp.Expression:
    return fill("SPLIT_PART($e, '@', 1)", e=_col(alias, "email"))


def _last7(alias: str) -> exp.Expression:
    return fill("RIGHT($p, 7)", p=_col(alias, "phone"))


COMPARISONS: tuple[Comparison, ...] = (
    Comparison(
        "given_name",
        ("else", "initial", "jw80", "jw92", "nickname", "exact"),
        (0.02, 0.01, 0.03, 0.04, 0.05, 0.85),
        given_name_level,
        {5: _value("given_name")},
        {5: "tf_given_name"},
    ),
    Comparison(
        "surname",
        ("else", "jw80", "jw92", "exact"),
        (0.08, 0.02, 0.05, 0.85),
        surname_level,
        {3: _value("surname")},
        {3: "tf_surname"},
    ),
    Comparison(
        "email",
        ("else", "same_local", "exact"),
        (0.45, 0.05, 0.50),
        email_level,
        {2: _value("email"), 1: _local_part},
        {1: "tf_email_local"},
    ),
    Comparison("phone", ("else", "last7", "exact"), (0.25, 0.02, 0.73), phone_level, {2: _value("phone"), 1: _last7}),
    Comparison(
        "address",
        ("else", "same_postal", "jw90", "exact"),
        (0.12, 0.05, 0.05, 0.78),
        address_level,
        {3: _place_value},
        {3: "tf_address"},
    ),
    Comparison("postal", ("else", "exact"), (0.15, 0.85), postal_level, {1: _value("postal")}),
    Comparison(
        "birthdate",
        ("else", "within_year", "transposed", "exact"),
        (0.02, 0.02, 0.01, 0.95),
        birthdate_level,
        {3: _value("birthdate")},
    ),
    Comparison("gender", ("else", "exact"), (0.05, 0.95), _equal_level("gender"), {1: _value("gender")}),
    Comparison("company", ("else", "jw90", "exact"), (0.3, 0.1, 0.6), company_level, {2: _value("company")}),
)
TF_COLUMNS: dict[str, Callable[[str], exp.Expression]] = {
    "tf_given_name": _value("given_name"),
    "tf_surname": _value("surname"),
    "tf_email_local": _local_part,
    "tf_address": _place_value,
}
"""Term-frequency columns of the matching table and the value each counts."""
BY_NAME = {c.name: c for c in COMPARISONS}


# --- rule predicates -----------------------------------------------------------------------


def rule_predicate(rule: Rule, a: str = "a", b: str = "b", nick: str = "n") -> exp.Expression:
    """TRUE when `rule` fires for the pair (both values present); never NULL."""
    x, y = _col(a, rule.semantic), _col(b, rule.semantic)
    is_date = rule.semantic == "birthdate"
    condition = rule.condition
    if condition == "present-and-equal":
        body = fill("$x = $y", x=x, y=y)
    elif condition == "present-and-not-equal" or condition == "different-generations":
        body = fill("$x <> $y", x=x, y=y)
    elif condition == "incompatible-names":
        body = fill("$level = 0", level=given_name_level(a, b, nick))
    elif condition == "different-birthdates" or (is_date and condition == "fuzzy-different"):
        body = fill("$level = 0", level=birthdate_level(a, b, nick))
    elif is_date and condition == "fuzzy-similar":
        body = fill("$level >= 2", level=birthdate_level(a, b, nick))
    elif condition == "fuzzy-similar":
        body = fill("JARO_WINKLER_SIMILARITY(CAST($x AS VARCHAR), CAST($y AS VARCHAR)) >= $jw", x=x, y=y, jw=NAME_JW_HIGH)
    else:  # fuzzy-different, different-companies
        body = fill("JARO_WINKLER_SIMILARITY(CAST($x AS VARCHAR), CAST($y AS VARCHAR)) < $jw", x=x, y=y, jw=NAME_JW_LOW)
    return fill("COALESCE($body, FALSE)", body=body)


def sk_conflict(sk_columns: tuple[str, ...], a: str = "a", b: str = "b") -> exp.Expression:
    """Some separation key is present on both sides with different values."""
    if not sk_columns:
        return exp.false()
    return exp.or_(*(fill("COALESCE($x <> $y, FALSE)", x=_col(a, sk), y=_col(b, sk)) for sk in sk_columns))
