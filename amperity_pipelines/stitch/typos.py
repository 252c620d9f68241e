"""One typing error between two short codes (dates as digits, postal codes), as portable SQL.

Why its own module: the comparisons of dates and postal codes, and the birthdate rule, all ask
"is this the same value typed once wrong?", and the answer must run on DuckDB and on Spark alike.
Both have LEVENSHTEIN, which covers a wrong, missing or extra character; neither counts a swap of
two neighbouring characters (1929 for 1992) as one edit, DuckDB's damerau_levenshtein having no
Spark twin, so swaps are spelt out: x equals y with characters i and i + 1 exchanged, for every i
below the code's width.
"""

from __future__ import annotations

from sqlglot import exp

from amperity_pipelines.engines.sql_templates import fill


def swapped_at(value: exp.Expression, i: int) -> exp.Expression:
    """`value` with its characters i and i + 1 (1-based) exchanged."""
    return fill(
        "LEFT($v, $before) || SUBSTR($v, $next, 1) || SUBSTR($v, $at, 1) || SUBSTR($v, $rest)",
        v=value,
        before=i - 1,
        next=i + 1,
        at=i,
        rest=i + 2,
    )


def one_typo(x: exp.Expression, y: exp.Expression, width: int) -> exp.Expression:
    """TRUE when x and y are at most one typing error apart: one character wrong, missing or extra
    (Levenshtein <= 1), or two neighbouring characters swapped within the first `width`; NULL
    when either is NULL."""
    swaps = exp.or_(*(fill("$x = $swapped", x=x, swapped=swapped_at(y, i)) for i in range(1, width)))
    return fill(
        """
        CASE
          WHEN $x IS NULL OR $y IS NULL THEN NULL
          WHEN LEVENSHTEIN($x, $y) <= 1 THEN TRUE
          WHEN LENGTH($x) = LENGTH($y) AND LEVENSHTEIN($x, $y) = 2 THEN $swaps
          ELSE FALSE
        END
        """,
        x=x,
        y=y,
        swaps=swaps,
    )
