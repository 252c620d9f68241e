"""`validate` finds a column no table will have before any run: every query and custom table
is bound on empty tables whose columns come from the code that builds them."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from amperity_pipelines.config.loader import ConfigError
from amperity_pipelines.tenant_check import check_tenant_columns, load_tenant, validate_tenant

REPO = Path(__file__).resolve().parents[2]
COMMAND = str(Path(sys.executable).parent / "amperity-pipelines")


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    """One Stitch schema cache for the module: the first check runs Stitch, the others reuse it."""
    return tmp_path_factory.mktemp("cache")


@pytest.fixture
def demo(tmp_path, monkeypatch, cache):
    """A copy of the demo tenant to break."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache))
    folder = tmp_path / "demo"
    shutil.copytree(REPO / "tenants" / "demo", folder)
    return folder


def issues(folder: Path) -> list[str]:
    return [str(issue) for issue in check_tenant_columns(load_tenant(folder))]


def test_the_demo_tenant_is_valid(demo, cache):
    assert issues(demo) == []
    assert len(list((cache / "amperity-pipelines" / "stitch-schemas").glob("*.json"))) == 1


def test_a_query_selecting_a_missing_column_names_file_line_table_and_columns(demo):
    (demo / "queries" / "foo.sql").write_text("-- emailable people\nSELECT amperity_id,\n  emial\nFROM Merged_Customers\n")
    [issue] = issues(demo)
    assert issue.startswith(
        f'{demo / "queries" / "foo.sql"}:3: column "emial" not found in Merged_Customers (its columns: amperity_id, given_name, '
    )
    assert ", email, " in issue


def test_a_qualified_column_names_the_table_behind_the_alias(demo):
    (demo / "queries" / "foo.sql").write_text(
        "SELECT c.amperity_id, t.lifetime_revenue\nFROM Customer_360 AS c\nJOIN Transaction_Attributes AS t ON t.amperity_id = c.amperity_id\n"
    )
    [issue] = issues(demo)
    assert 'foo.sql:1: column "lifetime_revenue" not found in Transaction_Attributes (its columns: amperity_id, ' in issue


@pytest.mark.parametrize(
    "table, column",
    [
        ('"POS:Customers"', "first_name"),  # a feed's fields: POS calls it given_name
        ("Unified_Coalesced", "emial"),
        ("Unified_Scores", "scroe"),
        ("Customer_360", "lifetime_revenue"),
        ("Customer_Value_Tiers", "tier"),  # a custom database table: its SQL's columns
        ("Ecommerce_Itemized", "line_total"),  # a custom domain table renames line_total
    ],
)
def test_every_kind_of_table_has_its_columns_inferred(demo, table, column):
    (demo / "queries" / "foo.sql").write_text(f"SELECT {column} FROM {table}")
    [issue] = issues(demo)
    assert f'column "{column}" not found in {table.strip(chr(34))} (its columns: ' in issue


def test_existing_columns_of_every_kind_of_table_pass(demo):
    (demo / "queries" / "foo.sql").write_text(
        'SELECT p.given_name, u.email, s.score, c.lifetime_order_revenue, v.value_tier, e.item_revenue\n'
        'FROM "POS:Customers" p, Unified_Coalesced u, Unified_Scores s, Customer_360 c, Customer_Value_Tiers v, Ecommerce_Itemized e'
    )
    assert issues(demo) == []


def test_a_custom_domain_table_reading_a_missing_column_is_reported_once(demo):
    """Its columns are unknown then, so the tables built on it are not checked (no cascade)."""
    sql = demo / "sql" / "domain" / "Ecommerce_Itemized.sql"
    sql.write_text(sql.read_text().replace("  l.brand,", "  l.brnad,"))
    [issue] = issues(demo)
    assert issue.startswith(f'{sql}:16: column "brnad" not found in Ecommerce:OrderLines (its columns: order_id, line_number, ')


def test_a_custom_domain_table_must_produce_its_primary_key_and_tagged_columns(demo):
    sql = demo / "sql" / "domain" / "Ecommerce_Itemized.sql"
    sql.write_text(sql.read_text().replace("  l.line_number,\n", ""))
    [issue] = issues(demo)
    assert "custom domain table Ecommerce_Itemized: primary key column(s) line_number are not produced by the query" in issue


def test_a_custom_database_table_is_checked_and_feeds_the_queries(demo):
    sql = demo / "sql" / "database" / "Customer_Value_Tiers.sql"
    sql.write_text(sql.read_text().replace("ta.lifetime_order_frequency >= 2", "ta.order_frequency >= 2"))
    [issue] = issues(demo)
    assert 'Customer_Value_Tiers.sql:16: column "order_frequency" not found in Transaction_Attributes' in issue


def test_validate_tenant_raises_config_error(demo):
    (demo / "queries" / "foo.sql").write_text("SELECT emial FROM Merged_Customers")
    with pytest.raises(ConfigError, match='1 configuration problem:\n  .*foo.sql:1: column "emial" not found in Merged_Customers'):
        validate_tenant(load_tenant(demo))


def cli(*args: str, cwd: Path, cache: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [COMMAND, *args], cwd=cwd, capture_output=True, text=True, timeout=240,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO), "HOME": str(cwd), "XDG_CACHE_HOME": str(cache)},
    )  # fmt: skip


def test_validate_and_materialize_report_the_column_before_any_run(demo, tmp_path, cache):
    (demo / "queries" / "foo.sql").write_text("SELECT amperity_id, emial FROM Merged_Customers")
    validated = cli("validate", str(demo), cwd=tmp_path, cache=cache)
    assert validated.returncode == 2
    assert 'foo.sql:1: column "emial" not found in Merged_Customers (its columns: ' in validated.stderr
    started = time.monotonic()
    materialized = cli("materialize", str(demo), cwd=tmp_path, cache=cache)
    assert materialized.returncode == 2 and 'column "emial" not found' in materialized.stderr
    assert not (tmp_path / "lakehouse").exists(), "materialize must stop before anything runs"
    assert time.monotonic() - started < 60
