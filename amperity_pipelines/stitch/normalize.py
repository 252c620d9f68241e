"""Normalisation of match keys, one SQL expression per kind of value.

Each function takes the expression of a raw column and returns the expression of its match key:
NULL when the value is missing or junk, so that junk never connects two records. Foreign keys
and loyalty IDs use `engines.sql_templates.identifier_key`, shared with the customer 360.
"""

from __future__ import annotations

from sqlglot import exp

from amperity_pipelines.engines.sql_templates import fill, identifier_key, strings

# One '@', something before it and a dot in the domain; spaces are not allowed anywhere.
_EMAIL_SHAPE = r"[^@\s]+@[^@\s]+\.[^@\s]+"


def email_key(value: exp.Expression, *, junk_domains: tuple[str, ...], junk_locals: tuple[str, ...]) -> exp.Expression:
    """Lower-cased, trimmed email with any +tag removed from the local part; junk -> NULL."""
    cleaned = fill(r"REGEXP_REPLACE(LOWER(TRIM(CAST($v AS VARCHAR))), '\+[^@]*@', '@')", v=value)
    return fill(
        """
        CASE
          WHEN NOT REGEXP_FULL_MATCH($e, $shape) THEN NULL
          WHEN SPLIT_PART($e, '@', 2) IN $domains THEN NULL
          WHEN SPLIT_PART($e, '@', 1) IN $locals THEN NULL
          ELSE $e
        END
        """,
        e=cleaned,
        shape=_EMAIL_SHAPE,
        domains=strings(junk_domains),
        locals=strings(junk_locals),
    )


def phone_key(value: exp.Expression, *, junk_phones: tuple[str, ...]) -> exp.Expression:
    """The last 10 digits of the phone; fewer than 10 digits, listed junk or one repeated digit -> NULL."""
    digits = fill("REGEXP_REPLACE(CAST($v AS VARCHAR), '[^0-9]', '', 'g')", v=value)
    return fill(
        """
        CASE
          WHEN LENGTH($d) < 10 THEN NULL
          WHEN RIGHT($d, 10) IN $junk THEN NULL
          WHEN REPLACE(RIGHT($d, 10), RIGHT($d, 1), '') = '' THEN NULL
          ELSE RIGHT($d, 10)
        END
        """,
        d=digits,
        junk=strings(junk_phones),
    )


def name_key(value: exp.Expression) -> exp.Expression:
    """Given names as counted by the bad-value rule: trimmed and lower-cased."""
    return fill("NULLIF(LOWER(TRIM(CAST($v AS VARCHAR))), '')", v=value)


def derived_full_name(full: exp.Expression, given: exp.Expression, surname: exp.Expression) -> exp.Expression:
    """Unified Coalesced full_name: full_name, else given + ' ' + surname, else given, else surname."""
    return fill(
        """
        COALESCE(
          $full,
          CASE WHEN $given IS NOT NULL AND $surname IS NOT NULL THEN $given || ' ' || $surname END,
          $given,
          $surname
        )
        """,
        full=full,
        given=given,
        surname=surname,
    )
