import pytest
from sqlglot import exp

from amperity_pipelines.engines.sql_templates import column, fill, render, strings, table, union_all


def test_fill_inserts_nodes_and_quotes_literals():
    sql = fill("SELECT $c FROM $t WHERE x = $s AND n > $n", c=column("fk pos"), t=table("main.t"), s="o'k", n=3)
    assert render(sql) == """SELECT "fk pos" FROM main.t WHERE x = 'o''k' AND n > 3"""


def test_fill_splices_lists_into_select_and_group_by():
    sql = fill("SELECT a, $cols, z FROM t GROUP BY a, $cols", cols=[column("b"), column("c")])
    assert render(sql) == "SELECT a, b, c, z FROM t GROUP BY a, b, c"
    assert render(fill("SELECT a, $cols FROM t", cols=[])) == "SELECT a FROM t"


def test_fill_refuses_missing_values_and_lists_outside_lists():
    with pytest.raises(KeyError, match=r"\$?t"):
        fill("SELECT 1 FROM $t")
    with pytest.raises(TypeError, match="cannot take a list"):
        fill("SELECT 1 FROM t WHERE $w", w=[exp.true()])


def test_fill_does_not_mutate_the_cached_template():
    fill("SELECT $c FROM t", c=column("a"))
    assert render(fill("SELECT $c FROM t", c=column("b"))) == "SELECT b FROM t"


def test_strings_and_union_all():
    assert render(fill("SELECT x IN $v", v=strings(["a", "b"]))) == "SELECT x IN ('a', 'b')"
    assert render(fill("SELECT x IN $v", v=strings([]))) == "SELECT x IN (NULL)"
    one, two = fill("SELECT 1"), fill("SELECT 2")
    assert render(union_all([one])) == "SELECT 1"
    assert render(union_all([one, two])) == "SELECT 1 UNION ALL SELECT 2"


def test_table_names_with_odd_characters_are_quoted():
    assert render(table("POS:Transactions")) == '"POS:Transactions"'
    assert render(table("main.unified_coalesced")) == "main.unified_coalesced"
