"""Second layer: the DuckDB session that runs tenant SQL can read the tenant's tables and nothing
else, even for a statement that never went through the SQL check. And the ways in: run_sql, a
saved query of the tenant, custom SQL tables."""

from __future__ import annotations

import duckdb
import pytest

from amperity_pipelines.config.loader import ConfigError
from amperity_pipelines.engines import SqlError
from amperity_pipelines.engines.duckdb_engine import connect
from amperity_pipelines.layers.activation import run_sql
from amperity_pipelines.layers.session import open_session
from amperity_pipelines.tenant_check import load_tenant
from tests.security.conftest import SECRET


def test_the_tenants_tables_stay_readable(vault):
    tenant, lakehouse, _ = vault
    con = open_session(tenant, lakehouse)
    assert con.sql('SELECT sum(points) FROM "Shop:Customers"').fetchone() == (14,)


@pytest.mark.parametrize(
    "statement",
    [
        "SELECT * FROM read_text('{secret}')",
        "SELECT * FROM read_blob('{secret}')",
        "SELECT * FROM read_csv('{secret}')",
        "SELECT * FROM read_csv_auto('{secret}')",
        "SELECT * FROM read_json('{secret}')",
        "SELECT * FROM read_ndjson('{secret}')",
        "SELECT * FROM read_parquet('{secret}')",
        "SELECT * FROM parquet_scan('{secret}')",
        "SELECT * FROM glob('{folder}/*')",
        "SELECT * FROM '{secret}'",
        'SELECT * FROM "{secret}"',
        "SELECT * FROM sniff_csv('{secret}')",
        "COPY (SELECT 1) TO '{folder}/copied.csv'",
        "COPY \"Shop:Customers\" TO '{folder}/copied.csv'",
        "ATTACH '{folder}/other.duckdb'",
        "EXPORT DATABASE '{folder}/exported'",
        "INSTALL httpfs",
        "LOAD httpfs",
        "SET enable_external_access = true",
        "RESET enable_external_access",
        "SET allowed_paths = ['{secret}']",
        "SET lock_configuration = false",
        "PRAGMA profiling_output = '{folder}/profile.json'",
    ],
)
def test_everything_else_fails_inside_duckdb(vault, statement):
    """Run straight on the session, as if the SQL check had missed the statement."""
    tenant, lakehouse, secret = vault
    con = open_session(tenant, lakehouse)
    sql = statement.format(secret=secret, folder=secret.parent)
    with pytest.raises(duckdb.Error) as caught:
        con.sql(sql).fetchall()
    assert isinstance(caught.value, (duckdb.PermissionException, duckdb.InvalidInputException, duckdb.CatalogException))
    assert SECRET.strip() not in str(caught.value)
    assert not (secret.parent / "copied.csv").exists() and not (secret.parent / "other.duckdb").exists()
    assert con.sql('SELECT count(*) FROM "Shop:Customers"').fetchone() == (3,), "the session must keep working"


def test_an_unlocked_connection_would_read_the_file(vault):
    """The control: without the lock, DuckDB reads the file (what the lock is for)."""
    _, _, secret = vault
    assert SECRET.strip() in connect().sql(f"SELECT content FROM read_text('{secret}')").fetchone()[0]


def test_run_sql_reads_tables(vault):
    tenant, lakehouse, _ = vault
    result = run_sql(tenant, lakehouse, 'SELECT id FROM "Shop:Customers" WHERE points > 4 ORDER BY id')
    assert result.column("id").to_pylist() == ["1", "3"]


def test_run_sql_keeps_presto_integer_division(vault):
    """Settings the dialect needs are set before the session is locked."""
    tenant, lakehouse, _ = vault
    result = run_sql(tenant, lakehouse, 'SELECT max(points) / 2 AS half FROM "Shop:Customers"')
    assert result.column("half").to_pylist() == [3]


@pytest.mark.parametrize(
    "sql, dialect, message",
    [
        ("SELECT * FROM read_text('{secret}')", "presto", "reads a file with read_text()"),
        ("SELECT * FROM READ_CSV_AUTO('{secret}')", "presto", "reads a file with READ_CSV_AUTO()"),
        ("SELECT * FROM '{secret}'", "presto", "reads a file with FROM '"),
        ("WITH x AS (SELECT * FROM read_text('{secret}')) SELECT * FROM x", "presto", "read_text()"),
        ('SELECT * FROM "Shop:Customers" WHERE email IN (SELECT content FROM read_text(\'{secret}\'))', "presto", "read_text()"),
        ("SELECT * FROM csv.`{secret}`", "spark", "reads a file with csv.`"),
        ("COPY (SELECT 1) TO '{folder}/copied.csv'", "presto", "found COPY"),
        ("SET enable_external_access = true", "presto", "found SET"),
    ],
)
def test_run_sql_refuses_before_running(vault, sql, dialect, message):
    tenant, lakehouse, secret = vault
    with pytest.raises(SqlError) as caught:
        run_sql(tenant, lakehouse, sql.format(secret=secret, folder=secret.parent), dialect=dialect)
    assert message in str(caught.value)
    assert not (secret.parent / "copied.csv").exists()


def test_a_saved_query_that_reads_a_file_fails_validation(vault):
    tenant, _, _ = vault
    (tenant.folder / "queries" / "leak.sql").write_text("-- looks harmless\nSELECT *\nFROM read_text('/etc/passwd')\n")
    with pytest.raises(ConfigError) as caught:
        load_tenant(tenant.folder)
    [issue] = caught.value.issues
    assert str(issue) == f"{tenant.folder / 'queries' / 'leak.sql'}:3: reads a file with read_text(): queries may read only the tenant's tables"


def test_custom_domain_table_sql_that_reads_a_file_fails_validation(vault):
    tenant, _, _ = vault
    (tenant.folder / "sql").mkdir()
    (tenant.folder / "sql" / "leak.sql").write_text("SELECT * FROM parquet.`/etc/passwd`")
    (tenant.folder / "tenant.yaml").write_text(
        "tenant: vault\ncustom_domain_tables:\n  - {name: Leak, sql: sql/leak.sql, primary_key: [id]}\n"
    )
    with pytest.raises(ConfigError, match=r"leak\.sql:1: reads a file with parquet\.`/etc/passwd`"):
        load_tenant(tenant.folder)


def test_custom_sql_tables_run_on_a_locked_session(vault):
    """build_custom_domain_table and database tables use open_session: the lock holds there too."""
    tenant, lakehouse, secret = vault
    con = open_session(tenant, lakehouse)
    assert con.sql("SELECT current_setting('enable_external_access')").fetchone() == (False,)
    assert con.sql("SELECT current_setting('lock_configuration')").fetchone() == (True,)
    assert str(secret) not in con.sql("SELECT current_setting('allowed_paths')").fetchone()[0]
