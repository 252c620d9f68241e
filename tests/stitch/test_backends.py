"""The engine boundary: golden SQL of each Spark rewrite, DuckDB twins of Spark's functions, and
the DuckDB backend's operations. No Spark needed (the parity run is test_spark_parity.py)."""

from __future__ import annotations

import random
import re
import unicodedata

import duckdb
import pyarrow as pa
import pytest
from prob_helpers import background, register
from sqlglot import exp

from amperity_pipelines.engines.sql_templates import fill
from amperity_pipelines.stitch import StitchSettings, stitch_records
from amperity_pipelines.stitch.backends import Backend, DuckDBBackend, as_backend
from amperity_pipelines.stitch.jaro_winkler import jaro_winkler, jaro_winkler_many
from amperity_pipelines.stitch.scratch import Scratch
from amperity_pipelines.stitch.spark_dialect import (
    JARO_WINKLER_FUNCTION,
    STRIP_ACCENTS_FUNCTION,
    accent_translation,
    render,
    session_statements,
    to_spark,
)

# --- golden Spark SQL, one rewrite at a time ----------------------------------------------------


@pytest.mark.parametrize(
    ("duckdb_sql", "spark_sql"),
    [
        ("SELECT STRIP_ACCENTS(v)", "SELECT STITCH_STRIP_ACCENTS(v)"),
        ("SELECT JARO_WINKLER_SIMILARITY(a, b) >= 0.92", "SELECT STITCH_JARO_WINKLER(a, b) >= 0.92"),
        ("SELECT MAP_EXTRACT_VALUE(m, k)", "SELECT TRY_ELEMENT_AT(m, k)"),
        ("SELECT w[1], w[3], w[-1]", "SELECT TRY_ELEMENT_AT(w, 1), TRY_ELEMENT_AT(w, 3), TRY_ELEMENT_AT(w, -1)"),
        ("SELECT w[2:]", "SELECT SLICE(w, 2, GREATEST(SIZE(w) - 2 + 1, 0))"),
        ("SELECT w[2:3]", "SELECT SLICE(w, 2, GREATEST(3 - 2 + 1, 0))"),
        ("SELECT LIST_SLICE(w, 1, ARRAY_LENGTH(w) - 1)", "SELECT SLICE(w, 1, GREATEST(SIZE(w) - 1 - 1 + 1, 0))"),
        ("SELECT REGEXP_FULL_MATCH(v, '[0-9]{5}')", r"SELECT v RLIKE '\\A(?:[0-9]{5})\\z'"),
        ("SELECT REGEXP_FULL_MATCH(v, p)", r"SELECT v RLIKE CONCAT('\\A(?:', p, ')\\z')"),
        (
            "SELECT ROW_NUMBER() OVER () - 1 AS rid FROM t",
            "SELECT CAST(ROW_NUMBER() OVER (ORDER BY MONOTONICALLY_INCREASING_ID() NULLS LAST) AS BIGINT) - 1 AS rid FROM t",
        ),
        (
            "SELECT ROW_NUMBER() OVER (PARTITION BY a ORDER BY b) FROM t",
            "SELECT CAST(ROW_NUMBER() OVER (PARTITION BY a ORDER BY b NULLS LAST) AS BIGINT) FROM t",
        ),
    ],
)
def test_spark_rewrite_golden(duckdb_sql, spark_sql):
    assert render(fill(duckdb_sql)) == spark_sql


def test_rewrites_nest_innermost_first():
    words = "CASE WHEN ARRAY_LENGTH(w) > 1 AND MAP_EXTRACT_VALUE(t, w[1]) IS NOT NULL THEN w[2:] ELSE w END"
    assert render(fill(f"SELECT MAP_EXTRACT_VALUE(s, ({words})[-1])")) == (
        "SELECT TRY_ELEMENT_AT(s, TRY_ELEMENT_AT((CASE WHEN SIZE(w) > 1 AND NOT TRY_ELEMENT_AT(t, TRY_ELEMENT_AT(w, 1)) "
        "IS NULL THEN SLICE(w, 2, GREATEST(SIZE(w) - 2 + 1, 0)) ELSE w END), -1))"
    )


def test_rewriting_leaves_the_duckdb_tree_alone():
    tree = fill("SELECT STRIP_ACCENTS(v), w[1] FROM t")
    before = tree.sql(dialect="duckdb")
    to_spark(tree)
    assert tree.sql(dialect="duckdb") == before == "SELECT STRIP_ACCENTS(v), w[1] FROM t"


def test_a_computed_list_index_is_refused():
    with pytest.raises(ValueError, match="only literal indexes"):
        render(fill("SELECT w[i]"))


def test_session_function_defines_strip_accents_as_translate():
    (statement,) = session_statements()
    assert statement.startswith(
        f"CREATE OR REPLACE TEMPORARY FUNCTION {STRIP_ACCENTS_FUNCTION}(s STRING) RETURNS STRING RETURN TRANSLATE(s, '"
    )


# --- Spark's twins of DuckDB functions, checked against DuckDB ---------------------------------


def test_jaro_winkler_equals_duckdb_on_random_and_known_pairs():
    rng = random.Random(7)
    pairs = [("MARTHA", "MARHTA"), ("DWAYNE", "DUANE"), ("JON", "JOHN"), ("ÉLO", "ELO"), ("", ""), ("A", ""), ("AB", "BA")]
    for _ in range(3000):
        alphabet = rng.choice(["AB", "ABCDE", "ABCDEFGHIJKLMNOPQRSTUVWXYZ ", "AÉÑ"])
        pairs.append(tuple("".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12))) for _ in range(2)))
    con = duckdb.connect()
    con.register("pairs", pa.table({"a": [a for a, _ in pairs], "b": [b for _, b in pairs]}))
    expected = [row[0] for row in con.execute("SELECT JARO_WINKLER_SIMILARITY(a, b) FROM pairs").fetchall()]
    assert [jaro_winkler(a, b) for a, b in pairs] == expected


def test_jaro_winkler_many_is_null_for_a_null_side():
    assert jaro_winkler_many(["MARTHA", None, "A"], ["MARHTA", "X", None]) == [jaro_winkler("MARTHA", "MARHTA"), None, None]


def test_accent_translation_equals_duckdb_strip_accents():
    """Over every assigned character of the Basic Multilingual Plane (those Python's Unicode
    tables know: DuckDB's may be a version newer)."""
    source, target = accent_translation()
    table = {ord(c): target[i] if i < len(target) else None for i, c in enumerate(source)}
    chars = [
        chr(code)
        for code in range(0x20, 0x10000)
        if not 0xD800 <= code <= 0xDFFF and unicodedata.category(chr(code)) != "Cn"
    ]
    con = duckdb.connect()
    con.register("chars", pa.table({"c": chars}))
    expected = [row[0] for row in con.execute("SELECT STRIP_ACCENTS(c) FROM chars").fetchall()]
    assert [c.translate(table) for c in chars] == expected
    assert "Crème Brûlée, Ångström, Łódź".translate(table) == "Creme Brulee, Angstrom, Łodz"


# --- the DuckDB backend ---------------------------------------------------------------------------


def test_duckdb_backend_creates_registers_fetches_and_drops(con):
    backend = DuckDBBackend(con)
    backend.register("src", pa.table({"a": [1, 2, 3], "b": ["x", "y", None]}))
    backend.create("doubled", fill("SELECT a * 2 AS a2, b FROM src WHERE a > 1"))
    assert backend.columns("doubled") == ["a2", "b"]
    assert backend.arrow(fill("SELECT * FROM doubled ORDER BY a2")).to_pylist() == [{"a2": 4, "b": "y"}, {"a2": 6, "b": None}]
    assert backend.fetch(fill("SELECT SUM(a2) AS s FROM doubled")).to_pylist() == [{"s": 10}]
    backend.drop("doubled")
    backend.drop("src")
    backend.drop("never_made")
    assert con.execute("SELECT COUNT(*) FROM duckdb_tables() WHERE NOT internal").fetchone()[0] == 0
    with pytest.raises(duckdb.CatalogException):
        con.execute("SELECT * FROM src")


def test_scratch_rows_and_scalar(con):
    with Scratch(con) as s:
        t = s.register("t", pa.table({"a": [1, 2], "b": ["x", "y"]}))
        assert s.rows(fill("SELECT a, b FROM $t ORDER BY a", t=exp.to_table(t))) == [(1, "x"), (2, "y")]
        assert s.scalar(fill("SELECT MAX(a) FROM $t", t=exp.to_table(t))) == 2
        assert s.scalar(fill("SELECT a FROM $t WHERE FALSE", t=exp.to_table(t))) is None
        made = s.create("made", fill("SELECT a FROM $t", t=exp.to_table(t)))
    for name in (t, made):
        with pytest.raises(duckdb.CatalogException):
            con.execute(f"SELECT * FROM {name}")


def test_as_backend_wraps_a_connection_and_refuses_other_things(con):
    assert isinstance(as_backend(con), DuckDBBackend)
    backend = DuckDBBackend(con)
    assert as_backend(backend) is backend
    assert isinstance(backend, Backend)
    with pytest.raises(TypeError, match="DuckDB connection or a backend .* not str"):
        as_backend("records")


def test_stitch_records_takes_a_backend_as_it_takes_a_connection():
    rows = background(40, seed=3)
    runs = []
    for wrap in (lambda c: c, DuckDBBackend):
        con = duckdb.connect()
        result = stitch_records(wrap(con), register(con, rows), settings=StitchSettings())
        runs.append(sorted(zip(*(result.unified_coalesced.column(c).to_pylist() for c in ("datasource", "pk", "amperity_id")))))
    assert runs[0] == runs[1]


# --- every statement of a real run renders for Spark -----------------------------------------------

SPARK_FUNCTIONS_ADDED = {JARO_WINKLER_FUNCTION.upper(), STRIP_ACCENTS_FUNCTION.upper()}
SPARK_BUILT_INS_BY_NAME = {"TRY_ELEMENT_AT", "SLICE", "SIZE", "MONOTONICALLY_INCREASING_ID"}
DUCKDB_ONLY = re.compile(
    r"\b(STRIP_ACCENTS|JARO_?WINKLER\w*|MAP_EXTRACT_VALUE|LIST_\w+|REGEXP_FULL_MATCH|STRFTIME|STR(ING)?_SPLIT"
    r"|DAMERAU\w*|JACCARD|ARRAY_LENGTH)\("
)


class RecordingBackend(DuckDBBackend):
    """DuckDB, keeping every query a run sends."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        super().__init__(con)
        self.queries: list[exp.Expression] = []

    def create(self, name, query):
        self.queries.append(query)
        super().create(name, query)

    def arrow(self, query):
        self.queries.append(query)
        return super().arrow(query)

    def fetch(self, query):
        self.queries.append(query)
        return super().fetch(query)


def test_every_statement_of_a_run_renders_for_spark_without_duckdb_only_functions(con):
    """A guard for new SQL: a DuckDB function Spark lacks must get a rewrite in spark_dialect
    (the Spark parity test is where the rewrites are proved to compute the same)."""
    rows = background(30, seed=5) + [{"datasource": "pos", "pk": "x", "given_name": "José", "fk_a": "1", "sk_b": "2"}]
    backend = RecordingBackend(con)
    stitch_records(backend, register(con, rows))
    assert len(backend.queries) > 30
    for query in backend.queries:
        tree = to_spark(query)
        unknown = {str(f.this).upper() for f in tree.find_all(exp.Anonymous)} - SPARK_FUNCTIONS_ADDED - SPARK_BUILT_INS_BY_NAME
        assert not unknown, f"functions sqlglot does not know reach Spark: {unknown}"
        sql = tree.sql(dialect="spark").upper()
        assert not DUCKDB_ONLY.findall(sql), sql[:300]


def test_amperity_ids_are_md5_of_utf8_so_any_engine_computes_the_same(con):
    """Spark's MD5 hashes the same UTF-8 bytes; the parity test checks the IDs end to end."""
    from hashlib import md5

    from amperity_pipelines.stitch.stable_ids import record_hash, uuid_text

    query = fill("SELECT $id", id=uuid_text(record_hash("seed", exp.Literal.string("pos"), exp.Literal.string("é1"))))
    h = md5("seed\x1fpos\x1fé1".encode()).hexdigest()
    expected = f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(h[16], 16) % 4]}{h[17:20]}-{h[20:32]}"
    assert DuckDBBackend(con).arrow(query).column(0).to_pylist() == [expected]
