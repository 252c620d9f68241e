from __future__ import annotations

from datetime import date

import pytest

from amperity_pipelines.config.datetime_patterns import java_to_strftime, joda_to_strftime
from amperity_pipelines.engines import SqlError, duckdb_settings, parse, referenced_tables, transpile


class TestErrors:
    def test_parse_error_names_file_line_column_and_expectation(self):
        with pytest.raises(SqlError) as caught:
            transpile("SELECT a,\n  (b + 1\nFROM t", read="presto", source="queries/top_customers.sql")
        error = caught.value
        assert (error.source, error.line) == ("queries/top_customers.sql", 3)
        assert error.column is not None
        assert str(error).startswith("queries/top_customers.sql, line 3, column")
        assert "Expecting )" in str(error)

    def test_missing_operand_is_reported_readably(self):
        with pytest.raises(SqlError, match=r"line 2, column \d+: incomplete WHERE: expected an expression"):
            transpile("SELECT a FROM t\nWHERE", read="spark", source="x.sql")

    def test_unterminated_string_points_at_its_quote(self):
        with pytest.raises(SqlError) as caught:
            transpile("SELECT a\nFROM t WHERE s = 'abc", read="presto")
        assert (caught.value.line, caught.value.column) == (2, 18)
        assert "closing '" in str(caught.value)

    @pytest.mark.parametrize(
        "statement",
        [
            "INSERT INTO t SELECT 1",
            "DELETE FROM t",
            "DROP TABLE t",
            "CREATE TABLE t AS SELECT 1",
            "UPDATE t SET a = 1",
        ],
    )
    @pytest.mark.parametrize("read", ["spark", "presto"])
    def test_only_select_is_allowed(self, statement, read):
        with pytest.raises(SqlError, match="only SELECT"):
            transpile(statement, read=read, source="q.sql")

    def test_one_statement(self):
        with pytest.raises(SqlError, match="expected one statement, found 2"):
            transpile("SELECT 1; SELECT 2", read="presto")
        assert transpile("SELECT 1;", read="presto") == "SELECT 1"
        with pytest.raises(SqlError, match="empty statement"):
            transpile("  -- nothing\n", read="spark")

    def test_with_and_set_operations_are_queries(self):
        assert parse("WITH x AS (SELECT 1 AS a) SELECT a FROM x UNION ALL SELECT 2", read="spark")

    def test_unknown_dialect(self):
        with pytest.raises(ValueError, match="unknown SQL dialect"):
            transpile("SELECT 1", read="mysql")

    def test_unconvertible_joda_pattern(self):
        with pytest.raises(SqlError, match=r"q\.sql: format_datetime: .*'Z' is not supported"):
            transpile("SELECT format_datetime(ts, 'yyyy Z') FROM t", read="presto", source="q.sql")
        with pytest.raises(SqlError, match="string literal"):
            transpile("SELECT format_datetime(ts, fmt) FROM t", read="presto")

    def test_unconvertible_spark_pattern(self):
        with pytest.raises(SqlError, match=r"q\.sql: .*'Z' is not supported"):
            transpile("SELECT date_format(ts, 'yyyy Z') FROM t", read="spark", source="q.sql")

    def test_map_agg_as_window_function_is_refused(self):
        with pytest.raises(SqlError, match="map_agg with OVER"):
            transpile("SELECT map_agg(k, v) OVER (PARTITION BY g) FROM t", read="presto")


class TestReferencedTables:
    def test_ctes_are_not_tables(self):
        sql = """
            WITH recent AS (SELECT * FROM "POS:Orders" WHERE order_ts > DATE '2020-01-01'),
                 spend AS (SELECT customer_id, SUM(amount) AS total FROM recent GROUP BY 1)
            SELECT c.*, s.total FROM "POS:Customers" c JOIN spend s ON c.customer_id = s.customer_id
            WHERE EXISTS (SELECT 1 FROM recent r WHERE r.customer_id = c.customer_id)
        """
        assert referenced_tables(sql, read="presto") == ["POS:Orders", "POS:Customers"]

    def test_spark_backticks_subqueries_and_qualified_names(self):
        sql = """
            SELECT * FROM `POS:Customers` c
            LEFT JOIN (SELECT * FROM `Shop:Orders`) o ON c.id = o.id
            JOIN Customer_360.Unified_Coalesced u ON u.pk = c.id
            WHERE c.id IN (SELECT id FROM `POS:Customers`)
        """
        assert referenced_tables(sql, read="spark") == ["POS:Customers", "Shop:Orders", "Customer_360.Unified_Coalesced"]

    def test_a_table_shadowed_by_a_cte_only_inside_its_scope(self):
        sql = "SELECT * FROM (WITH t AS (SELECT 1 AS a) SELECT * FROM t) x JOIN t ON true"
        assert referenced_tables(sql, read="presto") == ["t"]


class TestTranspile:
    def test_colon_names_survive_as_quoted_identifiers(self):
        out = transpile("SELECT `POS:Customers`.email FROM `POS:Customers` JOIN `POS:Orders` o USING (id)", read="spark")
        assert '"POS:Customers".email' in out
        assert 'FROM "POS:Customers" JOIN "POS:Orders" AS o' in out

    def test_rewrites_reach_nested_expressions(self):
        out = transpile(
            "SELECT map_agg(k, format_datetime(ts, 'yyyy')) FROM (SELECT * FROM t WHERE date_diff('day', a, b) > 1)",
            read="presto",
        )
        assert "FORMAT_DATETIME" not in out.upper() and "MAP_AGG" not in out.upper()
        assert "STRFTIME(ts, '%Y')" in out
        assert "DATE_SUB('day', a, b)" in out

    def test_integer_division_is_a_setting(self):
        assert duckdb_settings("presto") == {"integer_division": True}
        assert duckdb_settings("trino") == {"integer_division": True}
        assert duckdb_settings("spark") == {"integer_division": False}

    def test_date_literals_stay_dates_without_a_schema(self, engine):
        out = transpile("SELECT date_add('day', 1, DATE '2020-02-28') AS d", read="presto")
        assert engine.query(out, dialect="native").column("d").to_pylist() == [date(2020, 2, 29)]

    def test_date_columns_stay_dates_with_a_schema(self):
        sql = 'SELECT date_add(\'week\', 1, birthdate), date_trunc(\'month\', birthdate) FROM "POS:Customers"'
        without = transpile(sql, read="presto")
        with_schema = transpile(sql, read="presto", schema={"POS:Customers": {"birthdate": "DATE"}})
        assert "AS DATE" not in without
        assert with_schema.count("AS DATE)") == 2


class TestDatePatterns:
    @pytest.mark.parametrize(
        ("joda", "duckdb"),
        [
            ("yyyy-MM-dd", "%Y-%m-%d"),
            ("yyyy-MM-dd'T'HH:mm:ss.SSS", "%Y-%m-%dT%H:%M:%S.%g"),
            ("M/d/yy h:mm a", "%-m/%-d/%y %-I:%M %p"),
            ("EEEE, MMMM d", "%A, %B %-d"),
            ("EEE MMM", "%a %b"),
            ("'at' HH 'o''clock' '' 100%", "at %H o'clock ' 100%%"),
            ("xxxx-'W'ww-e", "%G-W%V-%u"),
            ("DDD", "%j"),
        ],
    )
    def test_joda(self, joda, duckdb):
        assert joda_to_strftime(joda) == duckdb

    def test_java_differs_where_the_languages_do(self):
        assert java_to_strftime("yyyy-MM-dd HH:mm:ss") == "%Y-%m-%d %H:%M:%S"
        assert java_to_strftime("LLLL") == "%B"
        with pytest.raises(ValueError, match="'YYYY' is not supported"):
            java_to_strftime("YYYY")  # week-based year in java.time
        with pytest.raises(ValueError, match="optional sections"):
            java_to_strftime("yyyy[-MM]")

    @pytest.mark.parametrize("pattern", ["yyyy Z", "HH z", "kk", "SS", "ddd", "G"])
    def test_unsupported_letters_are_refused(self, pattern):
        with pytest.raises(ValueError, match="is not supported"):
            joda_to_strftime(pattern)

    def test_unclosed_quote(self):
        with pytest.raises(ValueError, match="unterminated quote"):
            joda_to_strftime("yyyy 'T")
