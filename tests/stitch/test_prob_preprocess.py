"""Preprocessing rules one by one: what each expression makes of typical raw values, plus the
golden SQL of the small builders."""

import pytest

from amperity_pipelines.engines.sql_templates import column, fill, render
from amperity_pipelines.stitch import reference
from amperity_pipelines.stitch.coalesced import InputColumns
from amperity_pipelines.stitch.normalize import email_key, phone_key
from amperity_pipelines.stitch.preprocess import (
    address_text,
    clean_gender,
    clean_name,
    clean_postal,
    clean_words,
    expand_words,
    maps_query,
    normalised_bad_values,
    po_box,
    preprocessed_query,
    cleaned_query,
    typed_query,
    unless_listed,
)


def evaluate(con, expression, values, *, maps=False):
    """The expression applied to each value (as column v)."""
    source = "(SELECT UNNEST($values) AS v)"
    template = f"SELECT $e FROM {source} AS t" + (", ($maps) AS m" if maps else "")
    from sqlglot import exp

    query = fill(
        template,
        e=expression,
        values=exp.Array(expressions=[exp.Literal.string(v) if v is not None else exp.null() for v in values]),
        **({"maps": maps_query()} if maps else {}),
    )
    return [row[0] for row in con.execute(render(query)).fetchall()]


V = column("v")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("  o'Brien ", "OBRIEN"), ("Smith-Jones", "SMITH JONES"), ("José", "JOSE"), ("St. John", "ST JOHN"), ("  ", None), ("J0hn", "JHN")],
)
def test_names_are_upper_case_letters_only(con, raw, expected):
    assert evaluate(con, clean_name(V), [raw]) == [expected]


def test_clean_name_golden():
    assert render(clean_name(V)) == (
        "NULLIF(TRIM(REGEXP_REPLACE(REGEXP_REPLACE(REGEXP_REPLACE(UPPER(STRIP_ACCENTS(TRIM(CAST(v AS TEXT)))), "
        "'[-/_]', ' ', 'g'), '[^A-Z ]', '', 'g'), '\\s+', ' ', 'g')), '')"
    )


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("123 N. Main St., Apt 4", "123 NORTH MAIN STREET APARTMENT 4"),
        ("77 nw 1st ave #12", "77 NORTHWEST FIRST AVENUE # 12"),
        ("9 Elm Blvd Ste 300", "9 ELM BOULEVARD SUITE 300"),
        ("P.O. Box 42", "PO BOX 42"),
    ],
)
def test_addresses_expand_usps_abbreviations(con, raw, expected):
    assert evaluate(con, expand_words(address_text(V), column("address_map", "m")), [raw], maps=True) == [expected]


def test_address_key_drops_unit_designators(con):
    key = expand_words(address_text(V), column("address_key_map", "m"))
    assert evaluate(con, key, ["77 N Main St Apt 4", "77 North Main Street #4", "77 n main st unit 4"], maps=True) == [
        "77 NORTH MAIN STREET 4"
    ] * 3


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("PO Box 123", "123"), ("P.O. Box 77B", "77B"), ("Post Office Box 9", "9"), ("12 Box Elder Rd", None)],
)
def test_po_box_is_extracted(con, raw, expected):
    assert evaluate(con, po_box(address_text(V)), [raw]) == [expected]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("(206) 555-0143", "2065550143"),
        ("+1 206 555 0143", "2065550143"),
        ("1-206-555-0143", "2065550143"),
        ("555-0143", None),
        ("0000000000", None),
        ("(555) 555-5555", None),
        ("1234567890", None),
    ],
)
def test_phone_keeps_the_last_ten_digits_and_drops_junk(con, raw, expected):
    assert evaluate(con, phone_key(V, junk_phones=("1234567890",)), [raw]) == [expected]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Ann.Lee+shop@Mail.TEST", "ann.lee@mail.test"),
        ("test@test.com", None),
        ("noemail@gmail.com", None),
        ("N/A", None),
        ("info@shop.test", None),
    ],
)
def test_email_is_lower_case_without_tag_and_junk(con, raw, expected):
    lists = normalised_bad_values(con, allow_business_email=False)
    expression = email_key(V, junk_domains=lists.email_domains, junk_locals=lists.email_locals)
    assert evaluate(con, expression, [raw]) == [expected]


def test_business_email_can_be_allowed(con):
    lists = normalised_bad_values(con, allow_business_email=True)
    expression = email_key(V, junk_domains=lists.email_domains, junk_locals=lists.email_locals)
    assert evaluate(con, expression, ["info@shop.test", "test@shop.test"]) == ["info@shop.test", None]


@pytest.mark.parametrize(
    ("raw", "expected"), [("98101-1234", "98101"), ("981011234", "98101"), ("2108", "02108"), ("v6b 1a1", "V6B1A1")]
)
def test_postal_codes(con, raw, expected):
    assert evaluate(con, clean_postal(V), [raw]) == [expected]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("female", "F"), ("Woman", "F"), ("M", "M"), ("male", "M"), ("Non-Binary", "X"), ("enby", "X"), ("none", None), ("?", None)],
)
def test_gender_normalisation(con, raw, expected):
    assert evaluate(con, clean_gender(V, reference.gender_values()), [raw]) == [expected]


def test_built_in_bad_values_per_semantic_are_normalised_like_the_column(con):
    lists = normalised_bad_values(con, allow_business_email=False)
    assert {"NA", "UNKNOWN", "GUEST", "CARDHOLDER"} <= set(lists.of("given_name"))
    assert "GENERAL DELIVERY" in lists.of("address") and "NO ADDRESS GIVEN" in lists.of("address")
    assert "1900-01-01" in lists.of("birthdate")
    assert "00000" in lists.of("postal")
    assert "TEST TEST" in lists.of("full_name")
    assert "1234567890" in lists.phones
    assert evaluate(con, unless_listed(clean_name(V), lists.of("given_name")), ["n/a", "Guest", "Grace"]) == [
        None,
        None,
        "GRACE",
    ]


def test_unless_listed_golden():
    assert render(unless_listed(V, ("A", "B"))) == "CASE WHEN v IN ('A', 'B') THEN NULL ELSE v END"
    assert render(unless_listed(V, ())) == "v"


def test_words_keep_digits(con):
    assert evaluate(con, clean_words(V), ["st. louis", "Apt-5"]) == ["ST LOUIS", "APT 5"]


def preprocess(con, rows):
    import pyarrow as pa

    columns = sorted({k for r in rows for k in r})
    con.register("raw", pa.table({c: pa.array([r.get(c) for r in rows], pa.string()) for c in columns}))
    cols = InputColumns.of(columns)
    lists = normalised_bad_values(con, allow_business_email=False)
    con.execute(render(fill("CREATE OR REPLACE TEMP TABLE maps AS $q", q=maps_query())))
    con.execute(render(fill("CREATE OR REPLACE TEMP TABLE typed AS $q", q=typed_query("raw", cols))))
    con.execute(render(fill("CREATE OR REPLACE TEMP TABLE cleaned AS $q", q=cleaned_query("typed", "maps", cols, lists))))
    return con.execute(render(preprocessed_query("cleaned", "maps", cols, lists))).to_arrow_table().to_pylist()


@pytest.mark.parametrize(
    ("full_name", "given", "surname", "suffix"),
    [
        ("John Smith", "JOHN", "SMITH", None),
        ("Dr. Jane A. Doe", "JANE", "DOE", None),
        ("Frank Janson Jr.", "FRANK", "JANSON", "JR"),
        ("Maria de la Cruz", "MARIA", "DE LA CRUZ", None),
        ("Smith, John", "JOHN", "SMITH", None),
        ("Cher", "CHER", None, None),
    ],
)
def test_full_name_is_split_when_given_name_and_surname_are_missing(con, full_name, given, surname, suffix):
    row = preprocess(con, [{"datasource": "a", "pk": "1", "full_name": full_name}])[0]
    assert (row["given_name"], row["surname"], row["generational_suffix"]) == (given, surname, suffix)


def test_suffix_column_and_surname_suffix_are_normalised(con):
    rows = preprocess(
        con,
        [
            {"datasource": "a", "pk": "1", "given_name": "Al", "surname": "Gore", "generational_suffix": "Junior"},
            {"datasource": "a", "pk": "2", "given_name": "Al", "surname": "Gore III"},
            {"datasource": "a", "pk": "3", "given_name": "Al", "surname": "Gore", "generational_suffix": "Esq"},
        ],
    )
    assert [(r["surname"], r["generational_suffix"]) for r in sorted(rows, key=lambda r: r["pk"])] == [
        ("GORE", "JR"),
        ("GORE", "III"),
        ("GORE", None),
    ]


def test_given_name_in_the_record_wins_over_the_full_name(con):
    row = preprocess(con, [{"datasource": "a", "pk": "1", "given_name": "Bob", "full_name": "Robert Smith"}])[0]
    assert (row["given_name"], row["surname"]) == ("BOB", "SMITH")


def test_bad_full_name_gives_no_names(con):
    row = preprocess(con, [{"datasource": "a", "pk": "1", "full_name": "Test Test"}])[0]
    assert (row["given_name"], row["surname"]) == (None, None)
