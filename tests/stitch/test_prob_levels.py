"""Comparison levels on concrete value pairs: typing errors are near agreement, not disagreement.

Each case puts two preprocessed records (a, b) in DuckDB and reads the level name the comparison
gives them, the way scoring joins the matching table to itself.
"""

from datetime import date

import duckdb
import pyarrow as pa
import pytest

from amperity_pipelines.engines.sql_templates import fill, render
from amperity_pipelines.stitch import Rule
from amperity_pipelines.stitch.comparisons import BY_NAME, rule_predicate
from amperity_pipelines.stitch.conflicts import NAME_SEPARATOR, pairs_query, rule_semantic
from amperity_pipelines.stitch.reference import known_names_table, nickname_table
from amperity_pipelines.stitch.typos import one_typo

COLUMNS = {
    "given_name": pa.string(), "given_name_code": pa.string(), "surname": pa.string(), "address": pa.string(),
    "address_key": pa.string(), "postal": pa.string(), "city": pa.string(), "birthdate": pa.date32(),
}  # fmt: skip


def _record(values: dict) -> pa.Table:
    return pa.table({name: pa.array([values.get(name)], kind) for name, kind in COLUMNS.items()})


def _con(a: dict, b: dict) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.register("known", known_names_table())
    for alias, values in (("ra", a), ("rb", b)):
        con.register(alias, _record(values))
        con.execute(
            f"CREATE TABLE {alias[1]} AS SELECT r.* EXCLUDE (given_name_code), "
            f"COALESCE(r.given_name_code, k.code) AS given_name_code FROM {alias} AS r "
            "LEFT JOIN known AS k ON k.name = r.given_name"
        )
    con.register("nicknames", nickname_table())
    return con


def level(comparison: str, a: dict, b: dict) -> str | None:
    """The level name of `comparison` for records a and b (None: cannot compare)."""
    con = _con(a, b)
    c = BY_NAME[comparison]
    found = con.execute(
        render(
            fill(
                "SELECT $level FROM a CROSS JOIN b LEFT JOIN nicknames AS n ON n.name = a.given_name AND n.other = b.given_name",
                level=c.level(),
            )
        )
    ).fetchone()[0]
    return None if found is None else c.levels[found]


def fires(rule: Rule, a: dict, b: dict) -> bool:
    con = _con(a, b)
    query = "SELECT $p FROM a CROSS JOIN b LEFT JOIN nicknames AS n ON n.name = a.given_name AND n.other = b.given_name"
    return con.execute(render(fill(query, p=rule_predicate(rule)))).fetchone()[0]


def typo(x: str | None, y: str | None, width: int = 8):
    return duckdb.execute(render(fill("SELECT $t", t=one_typo(fill("$x", x=x), fill("$y", y=y), width)))).fetchone()[0]


# --- one typo ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("x", "y", "expected"),
    [
        ("19920421", "19920431", True),  # one digit wrong
        ("19920421", "19290421", True),  # neighbours swapped
        ("19920421", "19920412", True),
        ("0274", "02074", True),  # one digit missing
        ("19920421", "19291421", False),  # a swap and a wrong digit
        ("19920421", "29910421", False),  # two digits far apart exchanged
        ("02074", None, None),
    ],
)
def test_one_typo(x, y, expected):
    assert typo(x, y) is expected


# --- birthdate ---------------------------------------------------------------------------------

BORN = {"birthdate": date(1992, 4, 21)}


@pytest.mark.parametrize(
    ("other", "expected"),
    [
        (date(1992, 4, 21), "exact"),
        (date(1995, 12, 4), "else"),
        (date(1992, 4, 12), "typo"),  # day digits swapped
        (date(1929, 4, 21), "typo"),  # year digits swapped
        (date(1992, 4, 28), "typo"),  # one digit wrong
        (date(1992, 9, 30), "within_year"),
        (date(1965, 11, 2), "else"),
        (None, None),
    ],
)
def test_birthdate_levels(other, expected):
    assert level("birthdate", BORN, {"birthdate": other}) == expected


def test_day_and_month_transposed_is_a_near_match():
    assert level("birthdate", {"birthdate": date(1980, 3, 7)}, {"birthdate": date(1980, 7, 3)}) == "transposed"


@pytest.mark.parametrize(
    ("other", "separates"),
    [
        (date(1992, 4, 12), False),  # a typo is the same date of birth
        (date(1952, 4, 28), False),  # two digits wrong, still not "different"
        (date(1965, 11, 2), True),  # a parent
        (date(1992, 9, 30), False),  # within a year: the rule never separated these
    ],
)
def test_different_birthdates_rule_ignores_typing_errors(other, separates):
    assert fires(Rule("different-birthdates"), BORN, {"birthdate": other}) is separates


# --- names -------------------------------------------------------------------------------------


def test_swapped_names_are_compared_crosswise():
    a, b = {"given_name": "JOHN", "surname": "SMITH"}, {"given_name": "SMITH", "surname": "JOHN"}
    assert level("given_name", a, b) == "exact" and level("surname", a, b) == "exact"


def test_swapped_names_with_a_typo():
    a, b = {"given_name": "HARRY", "surname": "TIPPINS"}, {"given_name": "TIPPINS", "surname": "HACRY"}
    assert level("given_name", a, b) == "jw80" and level("surname", a, b) == "exact"


def test_household_names_are_not_a_swap():
    a, b = {"given_name": "JOHN", "surname": "SMITH"}, {"given_name": "JANE", "surname": "SMITH"}
    assert level("given_name", a, b) == "else" and level("surname", a, b) == "exact"
    assert fires(Rule("incompatible-names"), a, b)


def test_a_name_in_the_other_field_is_crossed():
    a, b = {"given_name": "ANNELIESE", "surname": "SKVARIL"}, {"given_name": "SKVARIL", "surname": "MATTHEW"}
    assert level("given_name", a, b) == "crossed" and level("surname", a, b) == "else"
    assert not fires(Rule("incompatible-names"), a, b)


def test_two_known_given_names_stay_incompatible_whatever_the_surnames():
    a, b = {"given_name": "JAMES", "surname": "THOMAS"}, {"given_name": "THOMAS", "surname": "JOHN"}
    assert level("given_name", a, b) == "else"
    assert fires(Rule("incompatible-names"), a, b)


def test_incompatible_names_rule_does_not_fire_on_a_swap():
    a, b = {"given_name": "JOHN", "surname": "SMITH"}, {"given_name": "SMITH", "surname": "JOHN"}
    assert not fires(Rule("incompatible-names"), a, b)


def test_swap_aware_given_name_conflicts_in_clustering():
    """Clustering compares given names as values with their surname: a swap is no conflict."""
    con = duckdb.connect()
    values = [f"JOHN{NAME_SEPARATOR}SMITH", f"SMITH{NAME_SEPARATOR}JOHN", f"JANE{NAME_SEPARATOR}SMITH"]
    con.register("cv", pa.table({"component": [7] * 3, "semantic": ["rule0"] * 3, "value": values}))
    con.register("nick", nickname_table())
    con.register("known", known_names_table())
    semantic = rule_semantic(0, Rule("incompatible-names"), "matching")
    found = con.execute(render(pairs_query("cv", "nick", "known", [semantic]))).fetchall()
    conflicting = {frozenset((v1.split(NAME_SEPARATOR)[0], v2.split(NAME_SEPARATOR)[0])) for _, _, v1, v2 in found}
    assert conflicting == {frozenset(("JANE", "JOHN")), frozenset(("JANE", "SMITH"))}


# --- address and postal --------------------------------------------------------------------------

HOME = {"address": "15 LUBUMA PLACE", "address_key": "15 LUBUMA PLACE MEREWETHER", "postal": "03138", "city": "GREENSBOROUGH"}


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({}, "exact"),
        ({"address_key": "15 LUBUMA PLACE"}, "street"),  # line 2 missing on one side
        ({"postal": "03183"}, "street"),  # postal code typed wrong, same street and city
        ({"postal": "07000", "city": "GREENSBORUOGH"}, "street"),  # postal code far off, city mistyped
        ({"address": "LUBUMA PLACE", "address_key": "LUBUMA PLACE MEREWETHER"}, "fuzzy"),  # no house number
        ({"address": "15 LUBUMA PLCAE", "address_key": "15 LUBUMA PLCAE MEREWETHER"}, "fuzzy"),
        ({"address": "15 MEREWETHER", "address_key": "15 MEREWETHER LUBUMA PLACE"}, "fuzzy"),  # lines exchanged
        ({"address": "51 LUBUMA PLACE", "address_key": "51 LUBUMA PLACE MEREWETHER"}, "fuzzy"),  # 15 typed 51
        ({"address": "27 LUBUMA PLACE", "address_key": "27 LUBUMA PLACE MEREWETHER"}, "other_number"),
        ({"address": "9 OTHER STREET", "address_key": "9 OTHER STREET"}, "same_postal"),
        ({"postal": "07000", "city": "HOBART"}, "else"),  # the same street line in another town
    ],
)
def test_address_levels(changes, expected):
    assert level("address", HOME, {**HOME, **changes}) == expected


def test_address_levels_never_drop_when_agreement_grows():
    """Each step adds agreement to the last, and the level never goes down."""
    steps = [
        {"address": "9 OTHER STREET", "address_key": "9 OTHER STREET", "postal": "07000", "city": "HOBART"},
        {"address": "9 OTHER STREET", "address_key": "9 OTHER STREET"},
        {"address": "27 LUBUMA PLACE", "address_key": "27 LUBUMA PLACE MEREWETHER", "postal": "03183"},
        {"address": "15 LUBUMA PLCAE", "address_key": "15 LUBUMA PLCAE MEREWETHER", "postal": "03183"},
        {"address_key": "15 LUBUMA PLACE", "postal": "03183"},
        {"address_key": "15 LUBUMA PLACE"},
        {},
    ]
    levels = [BY_NAME["address"].levels.index(level("address", HOME, {**HOME, **step})) for step in steps]
    assert levels == sorted(levels) and levels[0] == 0 and levels[-1] == BY_NAME["address"].top


def test_postal_typo_level_when_no_address():
    assert level("postal", {"postal": "02074"}, {"postal": "02047"}) == "typo"
    assert level("postal", {"postal": "02074"}, {"postal": "05911"}) == "else"


def test_one_typo_golden():
    assert render(one_typo(fill("x"), fill("y"), 3)) == (
        "CASE WHEN x IS NULL OR y IS NULL THEN NULL WHEN LEVENSHTEIN(x, y) <= 1 THEN TRUE "
        "WHEN LENGTH(x) = LENGTH(y) AND LEVENSHTEIN(x, y) = 2 "
        "THEN x = (LEFT(y, 0) || SUBSTRING(y, 2, 1) || SUBSTRING(y, 1, 1) || SUBSTRING(y, 3)) "
        "OR x = (LEFT(y, 1) || SUBSTRING(y, 3, 1) || SUBSTRING(y, 2, 1) || SUBSTRING(y, 4)) ELSE FALSE END"
    )
