"""First layer: tenant SQL that calls a table function, names a file or is not a SELECT is
refused when it is parsed, with the function and the place named."""

from __future__ import annotations

import pytest

from amperity_pipelines.engines import SqlError, referenced_tables, transpile

FILE_FUNCTIONS = [
    "read_text", "read_blob", "read_csv", "read_csv_auto", "read_parquet", "read_json", "read_ndjson", "parquet_scan",
]  # fmt: skip


def refusal(sql: str, *, read: str = "presto") -> SqlError:
    with pytest.raises(SqlError) as caught:
        transpile(sql, read=read, source="queries/leak.sql")
    return caught.value


@pytest.mark.parametrize("read", ["presto", "spark"])
@pytest.mark.parametrize("function", FILE_FUNCTIONS)
def test_file_reading_table_functions_are_refused(function, read):
    error = refusal(f"SELECT * FROM {function}('/etc/passwd')", read=read)
    assert str(error) == (
        f"queries/leak.sql, line 1, column 15: reads a file with {function}(): queries may read only the tenant's tables"
    )


@pytest.mark.parametrize("spelling", ["READ_TEXT", "Read_Text", "read_TEXT"])
def test_any_letter_case_is_refused_and_named_as_written(spelling):
    assert f"reads a file with {spelling}()" in str(refusal(f"select *\nfrom {spelling}('/etc/passwd')"))


def test_glob_is_refused():
    assert "reads a file with glob()" in str(refusal("SELECT * FROM glob('/etc/*')"))


@pytest.mark.parametrize(
    "sql, where",
    [
        ("WITH leak AS (SELECT * FROM read_text('/etc/passwd'))\nSELECT * FROM leak", "line 1, column 29"),
        ('SELECT * FROM "POS:Customers"\nWHERE email IN (SELECT content FROM read_text(\'/etc/passwd\'))', "line 2, column 37"),
        ("SELECT (SELECT max(content) FROM read_text('/etc/passwd')) AS c", "line 1, column 34"),
        ('SELECT * FROM "POS:Customers" c\nJOIN read_text(\'/etc/passwd\') r ON true', "line 2, column 6"),
        ("SELECT * FROM TABLE(read_text('/etc/passwd'))", "line 1, column 21"),
    ],
)
def test_table_functions_are_found_anywhere_in_the_statement(sql, where):
    error = str(refusal(sql))
    assert f"queries/leak.sql, {where}: reads a file with read_text()" in error


@pytest.mark.parametrize(
    "sql, read",
    [
        ("SELECT * FROM '/etc/passwd'", "presto"),
        ('SELECT * FROM "/etc/passwd"', "presto"),
        ("SELECT * FROM `/etc/passwd`", "spark"),
        ('SELECT * FROM "customers.csv"', "presto"),
        ("SELECT * FROM 's3://bucket/data.parquet'", "presto"),
    ],
)
def test_a_file_named_as_a_table_is_refused(sql, read):
    assert "reads a file with FROM '" in str(refusal(sql, read=read))


@pytest.mark.parametrize("sql", ["SELECT * FROM csv.`/etc/passwd`", "SELECT * FROM parquet.`/tmp/x.parquet`", "SELECT * FROM JSON.`x`"])
def test_spark_file_paths_are_refused(sql):
    assert "reads a file with" in str(refusal(sql, read="spark"))


def test_other_table_functions_are_refused_too():
    assert "calls the table function range(): queries may read only the tenant's tables" in str(refusal("SELECT * FROM range(10)"))
    assert "calls the table function query()" in str(refusal("SELECT * FROM query('SELECT 1')"))


@pytest.mark.parametrize(
    "sql",
    [
        "COPY (SELECT 1) TO '/tmp/x.csv'",
        "ATTACH '/tmp/x.db'",
        "INSTALL httpfs",
        "LOAD httpfs",
        "SET enable_external_access = true",
        "PRAGMA enable_profiling",
        "CALL enable_logging()",
        "SELECT * INTO copied FROM \"POS:Customers\"",
        "SELECT 1; SELECT * FROM read_text('/etc/passwd')",
    ],
)
def test_statements_other_than_select_are_refused(sql):
    refusal(sql)


def test_referenced_tables_refuses_as_well():
    with pytest.raises(SqlError, match="reads a file with read_text"):
        referenced_tables("SELECT * FROM read_text('/etc/passwd')", read="presto")


@pytest.mark.parametrize(
    "sql, read",
    [
        ('SELECT * FROM "POS:Customers" CROSS JOIN UNNEST(ARRAY[1, 2]) AS u(x)', "presto"),
        ("SELECT * FROM `POS:Customers` LATERAL VIEW explode(array(1, 2)) e AS x", "spark"),
        ("SELECT * FROM (VALUES (1, 'a')) AS t(n, s)", "presto"),
        ('WITH c AS (SELECT * FROM "Amazon.com:Orders") SELECT * FROM c', "presto"),
        ("SELECT 'read_text(/etc/passwd)' AS s FROM Customer_360", "presto"),
    ],
)
def test_ordinary_queries_still_pass(sql, read):
    transpile(sql, read=read)
