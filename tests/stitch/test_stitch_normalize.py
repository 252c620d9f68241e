"""Match-key normalisation: the SQL each function emits (golden) and what it does in DuckDB."""

import duckdb
import pytest

from amperity_pipelines.engines.sql_templates import column, identifier_key, render
from amperity_pipelines.stitch import DeterministicSettings
from amperity_pipelines.stitch.normalize import derived_full_name, email_key, name_key, phone_key

DEFAULTS = DeterministicSettings()


def evaluate(expression, *values):
    con = duckdb.connect()
    names = ", ".join(f"CAST(? AS VARCHAR) AS v{i}" for i in range(len(values)))
    return con.execute(f"SELECT {render(expression)} FROM (SELECT {names})", list(values)).fetchone()[0]


def email(value):
    return evaluate(
        email_key(column("v0"), junk_domains=DEFAULTS.junk_email_domains, junk_locals=DEFAULTS.junk_email_locals), value
    )


def phone(value):
    return evaluate(phone_key(column("v0"), junk_phones=DEFAULTS.junk_phones), value)


def test_email_key_golden():
    sql = render(email_key(column("email"), junk_domains=("noemail.com",), junk_locals=("test",)))
    clean = r"REGEXP_REPLACE(LOWER(TRIM(CAST(email AS TEXT))), '\+[^@]*@', '@')"
    assert sql == (
        f"CASE WHEN NOT REGEXP_FULL_MATCH({clean}, '[^@\\s]+@[^@\\s]+\\.[^@\\s]+') THEN NULL "
        f"WHEN SPLIT_PART({clean}, '@', 2) IN ('noemail.com') THEN NULL "
        f"WHEN SPLIT_PART({clean}, '@', 1) IN ('test') THEN NULL "
        f"ELSE {clean} END"
    )


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ("Ann.Lee@Example.org", "ann.lee@example.org"),
        ("  ann@x.com ", "ann@x.com"),
        ("ann+promo@x.com", "ann@x.com"),
        ("ann+a+b@x.com", "ann@x.com"),
        ("ann@x.com+tag", "ann@x.com+tag"),  # a + after the @ is not a tag
        ("ann", None),
        ("ann@", None),
        ("ann@x", None),
        ("a b@x.com", None),
        ("a@b@x.com", None),
        ("+tag@x.com", None),
        ("someone@noemail.com", None),
        ("TEST@x.com", None),
        ("none@x.com", None),
        ("noreply@x.com", None),
        ("", None),
        (None, None),
    ],
)
def test_email_key(raw, key):
    assert email(raw) == key


def test_phone_key_golden():
    sql = render(phone_key(column("phone"), junk_phones=("1234567890",)))
    digits = "REGEXP_REPLACE(CAST(phone AS TEXT), '[^0-9]', '', 'g')"
    assert sql == (
        f"CASE WHEN LENGTH({digits}) < 10 THEN NULL "
        f"WHEN RIGHT({digits}, 10) IN ('1234567890') THEN NULL "
        f"WHEN REPLACE(RIGHT({digits}, 10), RIGHT({digits}, 1), '') = '' THEN NULL "
        f"ELSE RIGHT({digits}, 10) END"
    )


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ("(206) 555-0100", "2065550100"),
        ("+1 206.555.0100", "2065550100"),
        ("0044 20 7946 0018", "2079460018"),  # last 10 digits
        ("555-0100", None),  # fewer than 10 digits
        ("0000000000", None),
        ("111-111-1111", None),
        ("5555555555", None),
        ("1234567890", None),
        ("1-123-456-7890", None),
        ("", None),
        (None, None),
    ],
)
def test_phone_key(raw, key):
    assert phone(raw) == key


def test_identifier_and_name_keys():
    assert render(identifier_key(column("fk_pos"))) == "NULLIF(UPPER(TRIM(CAST(fk_pos AS TEXT))), '')"
    assert render(name_key(column("given_name"))) == "NULLIF(LOWER(TRIM(CAST(given_name AS TEXT))), '')"
    assert evaluate(identifier_key(column("v0")), " c-001x ") == "C-001X"
    assert evaluate(identifier_key(column("v0")), "   ") is None
    assert evaluate(name_key(column("v0")), " Ann ") == "ann"


def test_derived_full_name():
    expr = derived_full_name(column("v0"), column("v1"), column("v2"))
    assert render(expr) == (
        "COALESCE(v0, CASE WHEN NOT v1 IS NULL AND NOT v2 IS NULL THEN v1 || ' ' || v2 END, v1, v2)"
    )
    assert evaluate(expr, "Acme Corp", "Ann", "Lee") == "Acme Corp"
    assert evaluate(expr, None, "Ann", "Lee") == "Ann Lee"
    assert evaluate(expr, None, "Ann", None) == "Ann"
    assert evaluate(expr, None, None, "Lee") == "Lee"
    assert evaluate(expr, None, None, None) is None
