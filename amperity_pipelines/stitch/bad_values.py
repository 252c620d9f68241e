"""Bad values: detected (a value shared by too many people) or listed in a blocklist feed.

A bad value is ignored for matching: the record keeps its original value in Unified Coalesced,
with `blv_<semantic>` set, but its preprocessed value is NULL everywhere Stitch compares or blocks.
The built-in lists (`data/bad_values.csv`, `data/email_junk.csv`) act earlier, in preprocessing.

Stitch BadValues columns: datasource ('*' = every source), semantic, value, num_values (records
with the value), num_proxy (distinct proxy values), proxy, origin ('detected' or 'blocklist').
"""

from __future__ import annotations

from sqlglot import exp

from amperity_pipelines.engines.sql_templates import column, fill, table, union_all
from amperity_pipelines.stitch.exceptions import StitchInputError
from amperity_pipelines.stitch.normalize import email_key, phone_key
from amperity_pipelines.stitch.preprocess import address_text, clean_name, expand_words
from amperity_pipelines.stitch.settings import BAD_VALUE_SEMANTICS, BadValueRule

BLOCKLIST_COLUMNS = ("datasource", "semantic", "value")


def detected_query(preprocessed: str, rule: BadValueRule) -> exp.Expression:
    """Values of `rule.semantic` seen with more than `rule.threshold` distinct `rule.proxy` values."""
    value, proxy = column(rule.semantic), column(rule.proxy)
    return fill(
        """
        SELECT '*' AS datasource, $semantic AS semantic, $value AS value, COUNT(*) AS num_values,
               COUNT(DISTINCT $proxy) AS num_proxy, $proxy_name AS proxy, 'detected' AS origin
        FROM $p WHERE $value IS NOT NULL
        GROUP BY $value
        HAVING COUNT(DISTINCT $proxy) > $threshold
        """,
        semantic=rule.semantic,
        value=value,
        proxy=proxy,
        proxy_name=rule.proxy,
        p=table(preprocessed),
        threshold=rule.threshold,
    )


def normalised_blocklist_value(semantic: exp.Expression, value: exp.Expression, maps: str) -> exp.Expression:
    """A blocklist value as preprocessing writes values of its semantic."""
    return fill(
        """
        CASE $s
          WHEN 'given_name' THEN $name
          WHEN 'surname' THEN $name
          WHEN 'email' THEN $email
          WHEN 'phone' THEN $phone
          WHEN 'address' THEN $address
        END
        """,
        s=semantic,
        name=clean_name(value),
        email=email_key(value, junk_domains=(), junk_locals=()),
        phone=phone_key(value, junk_phones=()),
        address=expand_words(address_text(value), column("address_map", maps)),
    )


def blocklist_query(blocklist: str, maps: str, *, preprocessed_flag: bool) -> exp.Expression:
    """Rows of a blocklist feed (datasource, semantic, value[, is_preprocessed]) in BadValues form.

    Semantics are written as in Amperity (`given-name`) or as columns (`given_name`); values
    not marked preprocessed are normalised like the records they are compared with.
    """
    semantic = fill("REPLACE(LOWER(TRIM(CAST(b.semantic AS VARCHAR))), '-', '_')")
    raw = fill("CAST(b.value AS VARCHAR)")
    normalised = normalised_blocklist_value(semantic, raw, "m")
    value = (
        fill("CASE WHEN COALESCE(CAST(b.is_preprocessed AS BOOLEAN), FALSE) THEN $raw ELSE $n END", raw=raw, n=normalised)
        if preprocessed_flag
        else normalised
    )
    return fill(
        """
        SELECT DISTINCT COALESCE(NULLIF(TRIM(CAST(b.datasource AS VARCHAR)), ''), '*') AS datasource,
               $semantic AS semantic, $value AS value, CAST(NULL AS BIGINT) AS num_values,
               CAST(NULL AS BIGINT) AS num_proxy, CAST(NULL AS VARCHAR) AS proxy, 'blocklist' AS origin
        FROM $b AS b, $maps AS m
        WHERE $value IS NOT NULL
        """,
        semantic=semantic,
        value=value,
        b=table(blocklist),
        maps=table(maps),
    )


def unknown_semantics_query(blocklist: str) -> exp.Expression:
    return fill(
        """
        SELECT DISTINCT CAST(semantic AS VARCHAR) FROM $b
        WHERE semantic IS NULL OR REPLACE(LOWER(TRIM(CAST(semantic AS VARCHAR))), '-', '_') NOT IN $known
        ORDER BY 1 LIMIT 5
        """,
        b=table(blocklist),
        known=exp.Tuple(expressions=[exp.Literal.string(s) for s in BAD_VALUE_SEMANTICS]),
    )


def check_blocklist(columns: list[str]) -> bool:
    """True when the blocklist has an is_preprocessed column; raises on missing columns."""
    lower = {c.lower() for c in columns}
    missing = [c for c in BLOCKLIST_COLUMNS if c not in lower]
    if missing:
        raise StitchInputError(f"the blocklist lacks column(s) {', '.join(missing)}: expected datasource, semantic, value")
    return "is_preprocessed" in lower


def bad_values_query(
    preprocessed: str, rules: tuple[BadValueRule, ...], blocklist: exp.Expression | None
) -> exp.Expression:
    """Every bad value of the run: detected ones, then the blocklist's (duplicates kept: they say why)."""
    empty = fill(
        """
        SELECT CAST(NULL AS VARCHAR) AS datasource, CAST(NULL AS VARCHAR) AS semantic, CAST(NULL AS VARCHAR) AS value,
               CAST(NULL AS BIGINT) AS num_values, CAST(NULL AS BIGINT) AS num_proxy, CAST(NULL AS VARCHAR) AS proxy,
               CAST(NULL AS VARCHAR) AS origin
        WHERE FALSE
        """
    )
    parts = [empty, *(detected_query(preprocessed, rule) for rule in rules)]
    if blocklist is not None:
        parts.append(blocklist)
    return union_all(parts)


def flags_query(bad: str) -> exp.Expression:
    """(semantic, value, everywhere, sources): one row per bad value, for joining to records."""
    return fill(
        """
        SELECT semantic, value, BOOL_OR(datasource = '*') AS everywhere, LIST(DISTINCT datasource) AS sources
        FROM $bad GROUP BY semantic, value
        """,
        bad=table(bad),
    )


def flagged_query(preprocessed: str, flags: str, sk_and_fk: tuple[str, ...]) -> exp.Expression:
    """The preprocessed records with bad values set to NULL and blv_<semantic> flags."""
    joins, flags_cols, nulled, flag_of = [], [], {}, {}
    for semantic in BAD_VALUE_SEMANTICS:
        alias = exp.to_identifier(f"f_{semantic}")
        of_semantic = fill("SELECT * FROM $flags WHERE semantic = $s", flags=table(flags), s=semantic)
        on = fill("$a.value = $col", a=alias, col=column(semantic, "p"))
        joins.append((of_semantic.subquery(alias), on))
        flag = fill("COALESCE($a.everywhere OR LIST_CONTAINS($a.sources, p.datasource), FALSE)", a=alias)
        flag_of[semantic] = flag
        flags_cols.append(flag.as_(f"blv_{semantic}"))
        nulled[semantic] = fill("CASE WHEN $flag THEN NULL ELSE $v END", flag=flag, v=column(semantic, "p"))
    for derived in ("address_key", "po_box"):  # a bad address voids what was derived from it
        nulled[derived] = fill("CASE WHEN $flag THEN NULL ELSE $v END", flag=flag_of["address"], v=column(derived, "p"))
    names = [
        "rid", "datasource", "pk", "given_name", "surname", "generational_suffix", "title", "email", "phone",
        "address", "address2", "address_key", "po_box", "city", "state", "postal", "birthdate", "gender",
        "company", "loyalty_id", "ck", *sk_and_fk,
    ]  # fmt: skip
    values = [nulled[n].as_(n) if n in nulled else column(n, "p") for n in names]
    select = fill("SELECT $values, $flags FROM $p AS p", values=values, flags=flags_cols, p=table(preprocessed))
    for joined, on in joins:
        select = select.join(joined, on=on, join_type="left")
    return select
