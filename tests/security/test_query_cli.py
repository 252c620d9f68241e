"""`amperity-pipelines query` and `validate` as a user runs them, against hostile SQL."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.security.conftest import SECRET

REPO = Path(__file__).resolve().parents[2]
COMMAND = str(Path(sys.executable).parent / "amperity-pipelines")


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [COMMAND, *args], cwd=cwd, capture_output=True, text=True, timeout=120,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO), "HOME": str(cwd)},
    )  # fmt: skip


def test_query_reads_the_tenants_tables(vault, tmp_path):
    tenant, lakehouse, _ = vault
    result = cli("query", str(tenant.folder), 'SELECT count(*) AS n FROM "Shop:Customers"', "--lakehouse", lakehouse.root, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "(1 row)" in result.stdout and "3" in result.stdout


@pytest.mark.parametrize(
    "sql, message",
    [
        ("SELECT * FROM read_text('{secret}')", "reads a file with read_text()"),
        ("SELECT * FROM read_csv('{secret}')", "reads a file with read_csv()"),
        ("select * from READ_BLOB('{secret}')", "reads a file with READ_BLOB()"),
        ("SELECT * FROM '{secret}'", "reads a file with FROM '"),
        ("SELECT * FROM glob('{folder}/*')", "reads a file with glob()"),
        ("COPY (SELECT 1) TO '{folder}/copied.csv'", "found COPY"),
        ("INSTALL httpfs", "only SELECT"),
        ("ATTACH '{folder}/x.duckdb'", "error"),
    ],
)
def test_query_refuses_to_read_files(vault, tmp_path, sql, message):
    tenant, lakehouse, secret = vault
    statement = sql.format(secret=secret, folder=secret.parent)
    result = cli("query", str(tenant.folder), statement, "--lakehouse", lakehouse.root, cwd=tmp_path)
    assert result.returncode != 0
    assert message in result.stderr and "error" in result.stderr
    assert SECRET.strip() not in result.stdout + result.stderr
    assert not (secret.parent / "copied.csv").exists()


def test_query_refuses_a_spark_file_path(vault, tmp_path):
    tenant, lakehouse, secret = vault
    result = cli("query", str(tenant.folder), f"SELECT * FROM csv.`{secret}`", "--dialect", "spark", "--lakehouse", lakehouse.root, cwd=tmp_path)
    assert result.returncode != 0 and "reads a file with csv.`" in result.stderr
    assert SECRET.strip() not in result.stdout + result.stderr


def test_query_from_a_file_refuses_too(vault, tmp_path):
    tenant, lakehouse, secret = vault
    (tmp_path / "leak.sql").write_text(f"WITH x AS (SELECT * FROM read_text('{secret}'))\nSELECT * FROM x\n")
    result = cli("query", str(tenant.folder), "--file", "leak.sql", "--lakehouse", lakehouse.root, cwd=tmp_path)
    assert result.returncode != 0 and "leak.sql, line 1, column 26: reads a file with read_text()" in result.stderr


def test_validate_refuses_a_saved_query_that_reads_a_file(vault, tmp_path):
    tenant, _, _ = vault
    (tenant.folder / "queries" / "leak.sql").write_text("SELECT * FROM read_text('/etc/passwd')\n")
    result = cli("validate", str(tenant.folder), cwd=tmp_path)
    assert result.returncode == 2
    assert "queries/leak.sql:1: reads a file with read_text(): queries may read only the tenant's tables" in result.stderr
    assert "root:" not in result.stdout + result.stderr
