"""Comparisons: for a pair of preprocessed records, one agreement level per feature.

A comparison maps two values to a small integer: its levels are listed from least to most
agreement (the last is always exact agreement), and NULL means "cannot compare" (a value is
missing), which contributes nothing to the score. The model learns one weight per level and
keeps the weights non-decreasing along that order, so more agreement never lowers a score.

Every function takes the two sides as table aliases (`a`, `b`) of the matching table, plus the
nickname flag of the pair (`n.name IS NOT NULL` after joining the nickname table). The rule
predicates at the end are reused by clustering on pairs of *values*, so they only ever read
the columns of their own semantic (the given-name rule also reads the surname, to see a swap).

Typing errors are levels of their own, not disagreement: a given name and surname written in
each other's field are compared crosswise (`names_swapped`), a date or a postal code one
keystroke away (`one_typo`) is near, and day and month written the other way round too.
Addresses and postal codes are compared in `stitch.places`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlglot import exp

from amperity_pipelines.engines.sql_templates import column, fill
from amperity_pipelines.stitch.places import ADDRESS_JW, address_level, postal_level
from amperity_pipelines.stitch.settings import Rule
from amperity_pipelines.stitch.typos import one_typo

NAME_JW_HIGH, NAME_JW_LOW = 0.92, 0.80
DATE_DIGITS = 8
"""YYYYMMDD has 8 digits."""
BIRTHDATE_RULE_EDITS = 2
"""different-birthdates separates only dates more than this many digit edits apart (and not
day/month transposed): two typed digits wrong is still the same date of birth, while a parent
and a child of one name differ in the year and usually in the day and month too."""


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


def names_swapped(a: str, b: str) -> exp.Expression:
    """TRUE when b's names read crosswise fit a's better than as written: a's given name is like
    b's surname and a's surname like b's given name (each Jaro-Winkler >= NAME_JW_LOW, so typos
    too), more alike in sum than the names as written; never NULL.

    A CASE, so that most pairs (whose first crosswise names differ) cost one Jaro-Winkler."""
    ga, gb, sa, sb = (_col(x, n) for x, n in ((a, "given_name"), (b, "given_name"), (a, "surname"), (b, "surname")))
    jw = {
        k: fill("JARO_WINKLER_SIMILARITY($x, $y)", x=x, y=y)
        for k, (x, y) in {"gs": (ga, sb), "sg": (sa, gb), "gg": (ga, gb), "ss": (sa, sb)}.items()
    }
    return fill(
        """
        COALESCE(CASE
          WHEN $gs < $low OR $sg < $low THEN FALSE
          ELSE $gs + $sg > $gg + $ss
        END, FALSE)
        """,
        low=NAME_JW_LOW,
        **jw,
    )


def names_crossed(a: str, b: str) -> exp.Expression:
    """One record's given name is the other's surname (within Jaro-Winkler NAME_JW_HIGH): a name
    written in the wrong field while the other field holds something else; never NULL."""
    return fill(
        """
        COALESCE(
          JARO_WINKLER_SIMILARITY($ga, $sb) >= $high OR JARO_WINKLER_SIMILARITY($sa, $gb) >= $high,
          FALSE)
        """,
        ga=_col(a, "given_name"),
        gb=_col(b, "given_name"),
        sa=_col(a, "surname"),
        sb=_col(b, "surname"),
        high=NAME_JW_HIGH,
    )


def _given_levels(
    x: exp.Expression, y: exp.Expression, cx: exp.Expression, cy: exp.Expression, crossed: exp.Expression
) -> exp.Expression:
    """The given-name levels below nickname for two present, unequal names."""
    return fill(
        """
        CASE
          WHEN $cx <> $cy THEN 0
          WHEN JARO_WINKLER_SIMILARITY($x, $y) >= $high THEN 4
          WHEN JARO_WINKLER_SIMILARITY($x, $y) >= $low THEN 3
          WHEN (LENGTH($x) = 1 OR LENGTH($y) = 1) AND LEFT($x, 1) = LEFT($y, 1) THEN 2
          WHEN $crossed THEN 1
          ELSE 0
        END
        """,
        x=x,
        y=y,
        cx=cx,
        cy=cy,
        crossed=crossed,
        high=NAME_JW_HIGH,
        low=NAME_JW_LOW,
    )


def given_name_level(a: str, b: str, nick: str) -> exp.Expression:
    """else < crossed < initial < jw>=0.80 < jw>=0.92 < nickname < exact; b's names are read
    crosswise when they are swapped (`names_swapped`), where exact means a's given name is b's
    surname.

    Two known given names (given_name_code = their sound code, NULL for unknown names) that are
    not nicknames of each other and sound different are 'else' however alike they are spelt
    (MARY, MARK): households are full of such pairs. After a swap b's 'given name' is a surname
    without a sound code, so only spelling counts. Crossed: the given names are unlike but one
    record's given name is the other's surname (`names_crossed`), half a swap.
    """
    x, y, yy = _col(a, "given_name"), _col(b, "given_name"), _col(b, "surname")
    return fill(
        """
        CASE
          WHEN $x IS NULL OR $y IS NULL THEN NULL
          WHEN $x = $y THEN 6
          WHEN $nick IS NOT NULL THEN 5
          WHEN $swapped THEN (CASE WHEN $x = $yy THEN 6 ELSE $crosswise END)
          ELSE $straight
        END
        """,
        x=x,
        y=y,
        yy=yy,
        nick=column("name", nick),
        swapped=names_swapped(a, b),
        crosswise=_given_levels(x, yy, _col(a, "given_name_code"), exp.null(), exp.false()),
        straight=_given_levels(x, y, _col(a, "given_name_code"), _col(b, "given_name_code"), names_crossed(a, b)),
    )


def _surname_levels(x: exp.Expression, y: exp.Expression) -> exp.Expression:
    return fill(
        """
        CASE
          WHEN $x = $y THEN 3
          WHEN JARO_WINKLER_SIMILARITY($x, $y) >= $high THEN 2
          WHEN JARO_WINKLER_SIMILARITY($x, $y) >= $low THEN 1
          ELSE 0
        END
        """,
        x=x,
        y=y,
        high=NAME_JW_HIGH,
        low=NAME_JW_LOW,
    )


def surname_level(a: str, b: str, nick: str) -> exp.Expression:
    """else < jw>=0.80 < jw>=0.92 < exact; crosswise (a's surname against b's given name) when
    the names are swapped."""
    x, y = _col(a, "surname"), _col(b, "surname")
    return fill(
        """
        CASE
          WHEN $x IS NULL OR $y IS NULL THEN NULL
          WHEN $x = $y THEN 3
          WHEN $swapped THEN $crosswise
          ELSE $straight
        END
        """,
        x=x,
        y=y,
        swapped=names_swapped(a, b),
        crosswise=_surname_levels(x, _col(b, "given_name")),
        straight=_surname_levels(x, y),
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


def date_digits(value: exp.Expression) -> exp.Expression:
    """A DATE as its 8 digits YYYYMMDD, so that typing errors are character edits."""
    return fill("STRFTIME($d, '%Y%m%d')", d=value)


def birthdate_level(a: str, b: str, nick: str) -> exp.Expression:
    """else < within a year < one typo (a digit wrong or two neighbours swapped) < day and month
    transposed < exact.

    One typo changes at most two of year, month and day, so one of them agreeing is checked first
    (cheap, and false for most pairs of different people)."""
    x, y = _col(a, "birthdate"), _col(b, "birthdate")
    return fill(
        """
        CASE
          WHEN $x IS NULL OR $y IS NULL THEN NULL
          WHEN $x = $y THEN 4
          WHEN YEAR($x) = YEAR($y) AND MONTH($x) = DAY($y) AND DAY($x) = MONTH($y) THEN 3
          WHEN (YEAR($x) = YEAR($y) OR MONTH($x) = MONTH($y) OR DAY($x) = DAY($y)) AND $typo THEN 2
          WHEN ABS(DATE_DIFF('day', $x, $y)) <= 365 THEN 1
          ELSE 0
        END
        """,
        x=x,
        y=y,
        typo=one_typo(date_digits(x), date_digits(y), DATE_DIGITS),
    )


def different_birthdates(a: str, b: str) -> exp.Expression:
    """The dates are 'else' and more than BIRTHDATE_RULE_EDITS digit edits apart (NULL when one
    is missing)."""
    x, y = _col(a, "birthdate"), _col(b, "birthdate")
    return fill(
        "$level = 0 AND LEVENSHTEIN($dx, $dy) > $edits",
        level=birthdate_level(a, b, "n"),
        dx=date_digits(x),
        dy=date_digits(y),
        edits=BIRTHDATE_RULE_EDITS,
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
        ("else", "crossed", "initial", "jw80", "jw92", "nickname", "exact"),
        (0.02, 0.01, 0.01, 0.03, 0.04, 0.05, 0.84),
        given_name_level,
        {6: _value("given_name")},
        {6: "tf_given_name"},
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
        ("else", "same_postal", "other_number", "fuzzy", "street", "exact"),
        (0.10, 0.04, 0.02, 0.05, 0.05, 0.74),
        address_level,
        {5: _place_value},
        {5: "tf_address"},
    ),
    Comparison("postal", ("else", "typo", "exact"), (0.10, 0.05, 0.85), postal_level, {2: _value("postal")}),
    Comparison(
        "birthdate",
        ("else", "within_year", "typo", "transposed", "exact"),
        (0.02, 0.01, 0.02, 0.01, 0.94),
        birthdate_level,
        {4: _value("birthdate")},
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
        body = different_birthdates(a, b)
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
