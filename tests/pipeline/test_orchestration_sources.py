"""Every standard table is an orchestration source: what validation accepts, a run exports.

One tenant with one orchestration per standard table (`config.standard_tables`), materialized
once; each export must hold the rows and columns of the table it names. A table the tenant never
writes is refused by validation, with its file and line.
"""

from __future__ import annotations

import re

import pyarrow.parquet as pq
import pytest

from amperity_pipelines.config.loader import ConfigError
from amperity_pipelines.config.standard_tables import STANDARD_TABLES
from amperity_pipelines.resources import LakehouseResource
from amperity_pipelines.runner import materialize_tenant
from amperity_pipelines.tenant_check import load_tenant
from tests.pipeline.conftest import CUSTOMERS_HEADER, QUERY, SOURCE_YAML, TENANT_YAML, drop_file

CUSTOMERS = CUSTOMERS_HEADER + """\
1,Robert,Smith,bob@shopmail.net,(206) 555-0143,01/02/1980,2026-11-25 10:00:00
2,Bob,Smith,BOB@shopmail.net,,01/02/1980,2026-11-25 11:00:00
3,Ann,Lee,ann@shopmail.net,206.555.0199,03/04/1990,2026-11-25 12:00:00
"""
ORDERS = """\
{"order_id": "A1", "line": 1, "customer": "1", "product": "P1", "qty": 2, "amount": "20.00", "returned": false, "cancelled": false, "at": "2026-11-25 10:00:00"}
{"order_id": "A2", "line": 1, "customer": "3", "product": "P2", "qty": 1, "amount": "5.00", "returned": false, "cancelled": false, "at": "2026-11-25 11:00:00"}
"""


def write_tenant(root, orchestrations: list[str], *, stitch: str = "") -> object:
    folder = root / "tenants" / "shop"
    (folder / "sources").mkdir(parents=True)
    (folder / "queries").mkdir()
    tenant_yaml = TENANT_YAML.replace("    path: drop\n", "    path: drop\n    format: parquet\n")
    tenant_yaml += "".join(f"  - {{name: Send_{table}, database_table: Customer_360.{table}, destination: Drop}}\n" for table in orchestrations)
    (folder / "tenant.yaml").write_text(tenant_yaml + stitch)
    (folder / "sources" / "shop.yaml").write_text(SOURCE_YAML)
    (folder / "queries" / "emails.sql").write_text(QUERY)
    return folder


def test_every_standard_table_exports_its_rows(tmp_path, monkeypatch):
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    tenant = load_tenant(write_tenant(tmp_path, [t.name for t in STANDARD_TABLES]))
    resource = LakehouseResource(
        root=str(tmp_path / "lakehouse"), landing_root=str(tmp_path / "landing"), exports_root=str(tmp_path / "exports")
    )
    landing = tmp_path / "landing" / "shop" / "shop"
    drop_file(landing, "customers/2026/11/25/customers-1.csv", CUSTOMERS)
    drop_file(landing, "orders/2026-11-25.ndjson", ORDERS)
    assert materialize_tenant(tenant, resource, progress=False).success

    lakehouse = resource.for_tenant("shop")
    drop = resource.exports_for("shop") / "drop"
    for table in STANDARD_TABLES:
        written = lakehouse.read(table.layer, table.storage_name("Customer_360"))
        files = sorted(drop.glob(f"Send_{table.name}_*.parquet"))
        assert files, f"{table.name}: no export file"
        exported = [pq.read_table(path) for path in files]
        assert sum(t.num_rows for t in exported) == written.num_rows, table.name
        assert exported[0].column_names == written.column_names, table.name
    assert lakehouse.read("database", "Customer_360__Customer_360").num_rows == 2  # Robert and Bob stitched
    assert lakehouse.read("stitch", "Unified_Scores").num_rows > 0


def issues_of(folder) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_tenant(folder)
    return [str(issue) for issue in caught.value.issues]


def test_an_unknown_table_is_refused_with_its_line(tmp_path):
    folder = write_tenant(tmp_path, ["Merged_Customers", "Unified_Nothing"])
    [issue] = issues_of(folder)
    line = (folder / "tenant.yaml").read_text().splitlines().index(
        "  - {name: Send_Unified_Nothing, database_table: Customer_360.Unified_Nothing, destination: Drop}"
    ) + 1
    assert issue.startswith(f"{folder / 'tenant.yaml'}:{line}: orchestrations[2].database_table: unknown database table 'Customer_360.Unified_Nothing'")


def test_a_table_the_matching_does_not_write_is_refused(tmp_path):
    """Deterministic Stitch writes no scores: sending them would read a table that never exists."""
    folder = write_tenant(tmp_path, ["Unified_Coalesced", "Unified_Scores"], stitch="stitch:\n  matching: deterministic\n")
    [issue] = issues_of(folder)
    assert re.search(r"tenant\.yaml:\d+: orchestrations\[2\]\.database_table: database table 'Customer_360.Unified_Scores': "
                     r"Unified_Scores is not written by deterministic Stitch \(its Stitch tables: Stitch_Bad_Values, Unified_Coalesced, "
                     r"Unified_Changes_Pks\)", issue), issue
