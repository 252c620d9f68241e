"""Preprocessing: every PII column normalised by one SQL expression, bad values set to NULL.

Each rule is a small function from the expression of a raw column to the expression of its
preprocessed value (golden-tested one by one); `preprocess_query` puts them together. Lookup
tables (address abbreviations, titles, suffixes) travel as DuckDB MAPs in a one-row table
(`maps_query`) that the record query cross-joins: a MAP literal inside a lambda would be rebuilt
for every row, ten to fifty times slower.

Bad-value lists are compared with *normalised* values; `normalised_bad_values` runs each list
through the same expression as the column it guards, so a list entry is written once, as a
person would type it ("N/A", "P.O. Box").
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pyarrow as pa
from sqlglot import exp

from amperity_pipelines.engines.sql_templates import column, fill, identifier_key, strings, table, union_all
from amperity_pipelines.stitch import reference
from amperity_pipelines.stitch.coalesced import InputColumns
from amperity_pipelines.stitch.normalize import email_key, phone_key
from amperity_pipelines.stitch.scratch import Scratch

# Surname particles kept with the last word when a full name is split ("MARIA DE LA CRUZ").
_SURNAME = r"((?:(?:DE|DEL|DELA|DA|DI|DOS|DU|LA|LE|VAN|VON|DER|DEN|TER|ST|SAN|SANTA|BIN|AL|EL|MAC|MC) )*[A-Z]+)$"
_PO_BOX = r"^(?:P ?O ?BOX|POST OFFICE BOX|POB|BOX) ?#? ?([A-Z0-9]+)"


def _text(value: exp.Expression) -> exp.Expression:
    return fill("UPPER(STRIP_ACCENTS(TRIM(CAST($v AS VARCHAR))))", v=value)


def _squeeze(value: exp.Expression) -> exp.Expression:
    """Runs of spaces to one, trimmed, '' to NULL."""
    return fill(r"NULLIF(TRIM(REGEXP_REPLACE($v, '\s+', ' ', 'g')), '')", v=value)


def clean_name(value: exp.Expression) -> exp.Expression:
    """Person names: upper case without accents; - / _ become spaces, other non-letters go (O'BRIEN -> OBRIEN)."""
    spaced = fill("REGEXP_REPLACE($v, '[-/_]', ' ', 'g')", v=_text(value))
    return _squeeze(fill("REGEXP_REPLACE($v, '[^A-Z ]', '', 'g')", v=spaced))


def clean_words(value: exp.Expression) -> exp.Expression:
    """City, state, company, title: upper case letters, digits and single spaces."""
    spaced = fill("REGEXP_REPLACE($v, '[-/_]', ' ', 'g')", v=_text(value))
    return _squeeze(fill("REGEXP_REPLACE($v, '[^A-Z0-9 ]', '', 'g')", v=spaced))


def address_text(value: exp.Expression) -> exp.Expression:
    """Upper case, '.' and ',' dropped, '#' standing apart ('#12' -> '# 12'), single spaces."""
    stripped = fill("REGEXP_REPLACE($v, '[.,]', '', 'g')", v=_text(value))
    return _squeeze(fill("REGEXP_REPLACE($v, '#', ' # ', 'g')", v=stripped))


def expand_words(text: exp.Expression, mapping: exp.Expression) -> exp.Expression:
    """Replace every word found in the MAP `mapping` by its value; words mapped to '' are dropped."""
    return fill(
        """
        NULLIF(ARRAY_TO_STRING(LIST_FILTER(
          LIST_TRANSFORM(STRING_SPLIT($t, ' '), LAMBDA w: COALESCE(MAP_EXTRACT_VALUE($m, w), w)), LAMBDA w: w <> ''), ' '), '')
        """,
        t=text,
        m=mapping,
    )


def po_box(text: exp.Expression) -> exp.Expression:
    """The box number of a PO box address (after `address_text`), else NULL."""
    return fill("NULLIF(REGEXP_EXTRACT($t, $pattern, 1), '')", t=text, pattern=_PO_BOX)


def clean_postal(value: exp.Expression) -> exp.Expression:
    """US ZIP codes to their 5 digits (ZIP+4 cut, a lost leading zero restored); others upper-case alphanumerics."""
    compact = fill("REGEXP_REPLACE($v, '[^A-Z0-9]', '', 'g')", v=_text(value))
    return fill(
        """
        CASE
          WHEN REGEXP_FULL_MATCH($c, '[0-9]{5}([0-9]{4})?') THEN LEFT($c, 5)
          WHEN REGEXP_FULL_MATCH($c, '[0-9]{4}') THEN '0' || $c
          ELSE NULLIF($c, '')
        END
        """,
        c=compact,
    )


def clean_gender(value: exp.Expression, spellings: tuple[tuple[str, str], ...]) -> exp.Expression:
    """F, M or X from the spellings table (FEMALE, WOMAN -> F...); anything else NULL."""
    cases = exp.Case(
        this=clean_words(value),
        ifs=[exp.If(this=exp.Literal.string(k), true=exp.Literal.string(g)) for k, g in spellings],
    )
    return cases


def lookup(mapping: exp.Expression, key: exp.Expression) -> exp.Expression:
    """MAP lookup that is NULL for a NULL key."""
    return fill("CASE WHEN $k IS NOT NULL THEN MAP_EXTRACT_VALUE($m, $k) END", k=key, m=mapping)


def unless_listed(value: exp.Expression, listed: tuple[str, ...]) -> exp.Expression:
    """NULL when `value` is one of `listed` (normalised bad values)."""
    if not listed:
        return value
    return fill("CASE WHEN $v IN $listed THEN NULL ELSE $v END", v=value, listed=strings(listed))


def clean_birthdate(value: exp.Expression, listed: tuple[str, ...]) -> exp.Expression:
    """A DATE; values that are not dates and listed placeholder dates (1900-01-01...) become NULL."""
    date = fill("TRY_CAST($v AS DATE)", v=value)
    if not listed:
        return date
    return fill("CASE WHEN CAST($d AS VARCHAR) IN $listed THEN NULL ELSE $d END", d=date, listed=strings(listed))


# --- full names ----------------------------------------------------------------------------


def name_words(full: exp.Expression, maps: str) -> exp.Expression:
    """Words of a cleaned full name without a leading title: ['JOHN', 'A', 'SMITH', 'JR']."""
    words = fill("STRING_SPLIT($f, ' ')", f=full)
    title = column("title_map", maps)
    return fill(
        "CASE WHEN ARRAY_LENGTH($w) > 1 AND MAP_EXTRACT_VALUE($t, $w[1]) IS NOT NULL THEN $w[2:] ELSE $w END",
        w=words,
        t=title,
    )


def trailing_suffix(words: exp.Expression, maps: str, min_words: int) -> exp.Expression:
    """The canonical generational suffix that ends `words` (when at least `min_words` long)."""
    return fill(
        "CASE WHEN ARRAY_LENGTH($w) >= $n THEN MAP_EXTRACT_VALUE($s, $w[-1]) END",
        w=words,
        s=column("suffix_map", maps),
        n=min_words,
    )


def without_suffix(words: exp.Expression, maps: str, min_words: int) -> exp.Expression:
    return fill(
        "CASE WHEN $suffix IS NOT NULL THEN LIST_SLICE($w, 1, ARRAY_LENGTH($w) - 1) ELSE $w END",
        suffix=trailing_suffix(words, maps, min_words),
        w=words,
    )


def split_given(words: exp.Expression, raw: exp.Expression) -> exp.Expression:
    """Given name of a split full name: the first word, or the first word after the comma of 'LAST, FIRST'."""
    after_comma = clean_name(fill("SPLIT_PART($r, ',', 2)", r=raw))
    return fill(
        "CASE WHEN STRPOS($r, ',') > 0 THEN SPLIT_PART($a, ' ', 1) ELSE $w[1] END",
        r=raw,
        a=after_comma,
        w=words,
    )


def split_surname(words: exp.Expression, raw: exp.Expression) -> exp.Expression:
    """Surname of a split full name: the last word with any particles before it (DE LA CRUZ), or
    what precedes the comma of 'LAST, FIRST'; NULL for a single word."""
    before_comma = clean_name(fill("SPLIT_PART($r, ',', 1)", r=raw))
    rest = fill("ARRAY_TO_STRING($w[2:], ' ')", w=words)
    return fill(
        """
        CASE
          WHEN STRPOS($r, ',') > 0 THEN $b
          WHEN ARRAY_LENGTH($w) >= 2 THEN REGEXP_EXTRACT($rest, $pattern, 1)
        END
        """,
        r=raw,
        b=before_comma,
        w=words,
        rest=rest,
        pattern=_SURNAME,
    )


# --- lists and maps ------------------------------------------------------------------------


@dataclass(frozen=True)
class BadLists:
    """Normalised built-in bad values per column, plus the junk lists of emails and phones."""

    by_column: dict[str, tuple[str, ...]] = field(default_factory=dict)
    email_domains: tuple[str, ...] = ()
    email_locals: tuple[str, ...] = ()
    phones: tuple[str, ...] = ()

    def of(self, name: str) -> tuple[str, ...]:
        return self.by_column.get(name, ())


# Column -> (cleaning function, takes the global `*` list too)
_LISTED_COLUMNS = {
    "given_name": (clean_name, True),
    "surname": (clean_name, True),
    "full_name": (clean_name, True),
    "address": (address_text, True),
    "city": (clean_words, True),
    "state": (clean_words, True),
    "postal": (clean_postal, False),
    "company": (clean_words, True),
}


def normalised_bad_values(engine: object, *, allow_business_email: bool) -> BadLists:
    """The shipped bad-value lists, each run through its column's own normalisation on `engine`
    (a Stitch backend or a DuckDB connection), in one query.

    Listed addresses count both as cleaned and as the expansion writes them (NO ADDRESS GIVEN
    is listed either way).
    """
    entries = reference.bad_values()
    with Scratch(engine, prefix="bad_lists") as s:
        raw = s.register(
            "raw", pa.table({"semantic": [e for e, _ in entries], "raw": [v for _, v in entries]}, schema=_RAW_SCHEMA)
        )
        rows = set(s.rows(_normalised_lists_query(raw)))
    by_column = {name: tuple(sorted(v for n, v in rows if n == name)) for name in _LISTED_COLUMNS}
    by_column["address"] = tuple(sorted({v for n, v in rows if n in ("address", _EXPANDED)}))
    by_column["birthdate"] = tuple(v for s, v in entries if s == "birthdate")
    junk = [(part, value) for part, value, business in reference.email_junk() if not (business and allow_business_email)]
    return BadLists(
        by_column=by_column,
        email_domains=tuple(v for p, v in junk if p == "domain"),
        email_locals=tuple(v for p, v in junk if p == "local"),
        phones=tuple(v for s, v in entries if s == "phone"),
    )


_RAW_SCHEMA = pa.schema([("semantic", pa.string()), ("raw", pa.string())])
_EXPANDED = "address expanded"


def _normalised_lists_query(raw: str) -> exp.Expression:
    """(name, v): the non-NULL normalised values of each list (raw: semantic, raw).

    Duplicates are left to the caller: a few hundred rows dedupe in Python at no cost, while
    DISTINCT in SQL costs Spark a shuffle per list.
    """
    parts = []
    for name, (clean, with_global) in _LISTED_COLUMNS.items():
        parts.append(
            fill(
                "SELECT $name AS name, $clean AS v FROM $t WHERE semantic IN $listed AND $clean IS NOT NULL",
                name=name,
                clean=clean(column("raw")),
                t=table(raw),
                listed=strings((name, "*") if with_global else (name,)),
            )
        )
    _, with_global = _LISTED_COLUMNS["address"]
    parts.append(
        fill(
            """
            SELECT $name AS name, $expanded AS v FROM $t AS r, ($maps) AS m
            WHERE r.semantic IN $listed AND $expanded IS NOT NULL
            """,
            name=_EXPANDED,
            expanded=expand_words(address_text(column("raw", "r")), column("address_map", "m")),
            t=table(raw),
            maps=maps_query(),
            listed=strings(("address", "*") if with_global else ("address",)),
        )
    )
    return union_all(parts)


def _map(pairs: list[tuple[str, str]]) -> exp.Expression:
    keys = [exp.Literal.string(k) for k, _ in pairs]
    values = [exp.Literal.string(v) for _, v in pairs]
    return fill("MAP($k, $v)", k=exp.Array(expressions=keys), v=exp.Array(expressions=values))


def maps_query() -> exp.Expression:
    """One row of lookup MAPs: address_map (abbreviation -> word), address_key_map (same, unit
    designators -> '' so a comparison ignores APT / UNIT / #), title_map, suffix_map."""
    abbreviations = reference.address_abbreviations()
    affixes = reference.name_affixes()
    expand = [(t, e) for _, t, e in abbreviations]
    key = [(t, "" if kind == "unit" else e) for kind, t, e in abbreviations]
    return fill(
        "SELECT $a AS address_map, $k AS address_key_map, $t AS title_map, $s AS suffix_map",
        a=_map(expand),
        k=_map(key),
        t=_map([(t, c) for kind, t, c in affixes if kind == "title"]),
        s=_map([(t, c) for kind, t, c in affixes if kind == "suffix"]),
    )


# --- the record query ------------------------------------------------------------------------


def typed_query(records: str, columns: InputColumns) -> exp.Expression:
    """rid, datasource, pk and every input column the preprocessing reads, as text or DATE.

    rid numbers the records 0..n-1 in (datasource, pk) order, never in the order rows arrive:
    every later tie (a duplicate's representative, a cluster's label, the random pairs of the
    model) is broken by rid, so the same records give the same result however they are stored.
    """
    names = [
        (name, "DATE" if name == "birthdate" else "VARCHAR")
        for name in (
            "given_name", "surname", "full_name", "generational_suffix", "title", "email", "phone", "address",
            "address2", "city", "state", "postal", "birthdate", "gender", "company", "loyalty_id", "ck",
        )
    ] + [(c, "VARCHAR") for c in columns.fk_columns + columns.sk_columns]  # fmt: skip
    typed = [columns.source(n, t).as_(n) for n, t in (("datasource", "VARCHAR"), ("pk", "VARCHAR"), *names)]
    return fill(
        "SELECT ROW_NUMBER() OVER (ORDER BY datasource, pk) - 1 AS rid, * FROM (SELECT $typed FROM $r)",
        typed=typed,
        r=table(records),
    )


def cleaned_query(typed: str, maps: str, columns: InputColumns, lists: BadLists) -> exp.Expression:
    """First pass: each column cleaned on its own (addresses only to text: expanded in the second
    pass, which reads each cleaned line several times), plus the words of the full name."""
    m = "m"
    addr1 = address_text(column("address", "r"))
    raw = {name: column(name, "r") for name in ("datasource", "pk", "rid")}
    values = [
        *(raw[n].as_(n) for n in ("rid", "datasource", "pk")),
        unless_listed(clean_name(column("given_name", "r")), lists.of("given_name")).as_("given_name"),
        unless_listed(clean_name(column("surname", "r")), lists.of("surname")).as_("surname_words"),
        unless_listed(clean_name(column("full_name", "r")), lists.of("full_name")).as_("full_clean"),
        column("full_name", "r").as_("full_raw"),
        lookup(column("suffix_map", m), clean_name(column("generational_suffix", "r"))).as_("suffix_given"),
        fill("COALESCE(MAP_EXTRACT_VALUE($t, $v), $v)", t=column("title_map", m), v=clean_words(column("title", "r"))).as_("title"),
        email_key(column("email", "r"), junk_domains=lists.email_domains, junk_locals=lists.email_locals).as_("email"),
        phone_key(column("phone", "r"), junk_phones=lists.phones).as_("phone"),
        addr1.as_("address_text"),
        address_text(column("address2", "r")).as_("address2_text"),
        unless_listed(clean_words(column("city", "r")), lists.of("city")).as_("city"),
        unless_listed(clean_words(column("state", "r")), lists.of("state")).as_("state"),
        unless_listed(clean_postal(column("postal", "r")), lists.of("postal")).as_("postal"),
        clean_birthdate(column("birthdate", "r"), lists.of("birthdate")).as_("birthdate"),
        clean_gender(column("gender", "r"), reference.gender_values()).as_("gender"),
        unless_listed(clean_words(column("company", "r")), lists.of("company")).as_("company"),
        identifier_key(column("loyalty_id", "r")).as_("loyalty_id"),
        identifier_key(column("ck", "r")).as_("ck"),
        *(identifier_key(column(c, "r")).as_(c) for c in columns.fk_columns + columns.sk_columns),
    ]
    return fill("SELECT $values FROM $typed AS r, $maps AS m", values=values, typed=table(typed), maps=table(maps))


def preprocessed_query(cleaned: str, maps: str, columns: InputColumns, lists: BadLists) -> exp.Expression:
    """Second pass: names split from full names where given name or surname is missing, suffixes
    taken from the end of a surname or full name; addresses expanded (line, line 2, comparison key
    without unit designators, PO box), the key voided with a listed line."""
    words = name_words(column("full_clean", "c"), "m")
    full_suffix = trailing_suffix(words, "m", 3)
    full_words = without_suffix(words, "m", 3)
    surname_words = fill("STRING_SPLIT($s, ' ')", s=column("surname_words", "c"))
    surname_suffix = trailing_suffix(surname_words, "m", 2)
    surname = fill(
        "CASE WHEN $suffix IS NOT NULL THEN ARRAY_TO_STRING(LIST_SLICE($w, 1, ARRAY_LENGTH($w) - 1), ' ') "
        "ELSE $s END",
        suffix=surname_suffix,
        w=surname_words,
        s=column("surname_words", "c"),
    )
    given = fill("COALESCE($g, $split)", g=column("given_name", "c"), split=split_given(full_words, column("full_raw", "c")))
    surname = fill("COALESCE($s, $split)", s=surname, split=split_surname(full_words, column("full_raw", "c")))
    keep = [
        "title", "email", "phone", "city", "state", "postal", "birthdate", "gender", "company", "loyalty_id", "ck",
        *columns.fk_columns, *columns.sk_columns,
    ]  # fmt: skip
    line1, line2 = column("address_text", "c"), column("address2_text", "c")
    address = unless_listed(expand_words(line1, column("address_map", "m")), lists.of("address"))
    address_key = expand_words(
        _squeeze(fill("CONCAT_WS(' ', $a, $b)", a=line1, b=line2)), column("address_key_map", "m")
    )
    values = [
        *(column(n, "c") for n in ("rid", "datasource", "pk")),
        unless_listed(given, lists.of("given_name")).as_("given_name"),
        unless_listed(surname, lists.of("surname")).as_("surname"),
        fill("COALESCE($a, $b, $c)", a=column("suffix_given", "c"), b=surname_suffix, c=full_suffix).as_(
            "generational_suffix"
        ),
        *(column(n, "c") for n in keep),
        address.as_("address"),
        expand_words(line2, column("address_map", "m")).as_("address2"),
        po_box(line1).as_("po_box"),
        # a listed (bad) street line voids the key built from it
        fill("CASE WHEN $a IS NOT NULL THEN $k END", a=address.copy(), k=address_key).as_("address_key"),
    ]
    return fill("SELECT $values FROM $cleaned AS c, $maps AS m", values=values, cleaned=table(cleaned), maps=table(maps))
