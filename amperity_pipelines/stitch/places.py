"""Comparing where two records live: street keys, house numbers, postal codes and cities.

Why its own module: an address agrees in degrees (the same street line with or without line 2,
a house number or postal code typed wrong, words in another order, a neighbour's number), and
each degree is a level of the address comparison (`address_level`); the postal code on its own
counts only when an address is missing (`postal_level`). Functions take the two sides as table
aliases of the matching table, as in `stitch.comparisons`.
"""

from __future__ import annotations

from sqlglot import exp

from amperity_pipelines.engines.sql_templates import column, fill
from amperity_pipelines.stitch.typos import one_typo

ADDRESS_JW, CITY_JW = 0.90, 0.92
ADDRESS_SHARED_WORDS = 0.75
"""Share of the shorter street key's distinct words that the other key has too, for 'fuzzy'."""
POSTAL_WIDTH, HOUSE_NUMBER_WIDTH = 10, 6
"""Postal codes and house numbers are compared for transposed neighbours up to 10 and 6 characters."""


def _col(alias: str, name: str) -> exp.Column:
    return column(name, alias)


def same_place(a: str, b: str) -> exp.Expression:
    """Postal codes agree, else (a postal missing) cities agree, else nothing says otherwise."""
    return fill(
        "COALESCE($pa = $pb, $ca = $cb, TRUE)",
        pa=_col(a, "postal"),
        pb=_col(b, "postal"),
        ca=_col(a, "city"),
        cb=_col(b, "city"),
    )


def near_place(a: str, b: str) -> exp.Expression:
    """`same_place`, or the cities agree (Jaro-Winkler >= CITY_JW, so a typo too), or the postal
    codes are one typo apart."""
    return fill(
        "($same OR COALESCE($typo, FALSE) OR COALESCE(JARO_WINKLER_SIMILARITY($ca, $cb) >= $high, FALSE))",
        same=same_place(a, b),
        ca=_col(a, "city"),
        cb=_col(b, "city"),
        typo=one_typo(_col(a, "postal"), _col(b, "postal"), POSTAL_WIDTH),
        high=CITY_JW,
    )


def _words(value: exp.Expression) -> exp.Expression:
    return fill("ARRAY_DISTINCT(STRING_SPLIT($v, ' '))", v=value)


def common_words(x: exp.Expression, y: exp.Expression) -> exp.Expression:
    """How many distinct words x and y have in common."""
    return fill("ARRAY_LENGTH(ARRAY_INTERSECT($wx, $wy))", wx=_words(x), wy=_words(y))


def shared_words(x: exp.Expression, y: exp.Expression) -> exp.Expression:
    """Distinct words of x also in y, over the distinct words of the shorter of the two (0-1):
    1.0 when one street key is the other's words in another order or a subset of them (line 1
    and line 2 exchanged, one line missing)."""
    return fill(
        "$common / LEAST(ARRAY_LENGTH($wx), ARRAY_LENGTH($wy))",
        common=common_words(x, y),
        wx=_words(x),
        wy=_words(y),
    )


def house_number(key: exp.Expression) -> exp.Expression:
    """The leading number of a street key, NULL without one."""
    return fill("NULLIF(REGEXP_EXTRACT($k, '^[0-9]+', 0), '')", k=key)


def without_number(key: exp.Expression) -> exp.Expression:
    """A street key without its leading house number (MAIN STREET of 12 MAIN STREET)."""
    return fill("REGEXP_REPLACE($k, '^[0-9]+ ', '')", k=key)


def address_level(a: str, b: str, nick: str) -> exp.Expression:
    """else < other street, same postal < same street, other house number, near place < fuzzy
    street, near place < same street, near place < same street, same place.

    The street key is address + address2 with abbreviations expanded and unit designators
    dropped; `address` alone is the first line. A line 2 that only one side has, or a postal code
    or city typed wrong, lowers the level one step instead of turning agreement into disagreement.
    Fuzzy is Jaro-Winkler >= ADDRESS_JW on the key or on the first lines, or at least two words
    and ADDRESS_SHARED_WORDS of the shorter key's words shared (words reordered, a line or the
    house number missing), as long as the house numbers are at most one typo apart. Other
    number: two house numbers further apart and the rest alike (Jaro-Winkler >= ADDRESS_JW): a
    neighbour, or a number typed wrong; left to the fuzzy level, neighbours would make every
    near miss look common.
    """
    x, y = _col(a, "address_key"), _col(b, "address_key")
    return fill(
        """
        CASE
          WHEN $x IS NULL OR $y IS NULL THEN NULL
          WHEN $x = $y AND $place THEN 5
          WHEN NOT $near THEN (CASE WHEN $pa = $pb THEN 1 ELSE 0 END)
          WHEN $x = $y OR $x1 = $y1 THEN 4
          WHEN NOT COALESCE($numbers, TRUE) THEN (
            CASE WHEN JARO_WINKLER_SIMILARITY($sx, $sy) >= $jw THEN 2 WHEN $pa = $pb THEN 1 ELSE 0 END
          )
          WHEN JARO_WINKLER_SIMILARITY($x, $y) >= $jw OR JARO_WINKLER_SIMILARITY($x1, $y1) >= $jw THEN 3
          WHEN $common >= 2 AND $shared >= $share THEN 3
          WHEN $pa = $pb THEN 1
          ELSE 0
        END
        """,
        shared=shared_words(x, y),
        common=common_words(x, y),
        share=ADDRESS_SHARED_WORDS,
        x=x,
        y=y,
        x1=_col(a, "address"),
        y1=_col(b, "address"),
        sx=without_number(x),
        sy=without_number(y),
        numbers=one_typo(house_number(x), house_number(y), HOUSE_NUMBER_WIDTH),
        place=same_place(a, b),
        near=near_place(a, b),
        jw=ADDRESS_JW,
        pa=_col(a, "postal"),
        pb=_col(b, "postal"),
    )


def postal_level(a: str, b: str, nick: str) -> exp.Expression:
    """else < one typo apart < exact; only when the address cannot be compared (it already weighs
    the postal code)."""
    return fill(
        """
        CASE
          WHEN $xa IS NOT NULL AND $ya IS NOT NULL THEN NULL
          WHEN $x IS NULL OR $y IS NULL THEN NULL
          WHEN $x = $y THEN 2
          WHEN $typo THEN 1
          ELSE 0
        END
        """,
        xa=_col(a, "address_key"),
        ya=_col(b, "address_key"),
        x=_col(a, "postal"),
        y=_col(b, "postal"),
        typo=one_typo(_col(a, "postal"), _col(b, "postal"), POSTAL_WIDTH),
    )
