"""The columns inferred without data are the columns a real run writes: no second list to drift."""

from __future__ import annotations

import duckdb

from amperity_pipelines.config.standard_tables import STANDARD_TABLES
from amperity_pipelines.runner import materialize_tenant
from amperity_pipelines.tenant_check import inferred_columns
from tests.pipeline.conftest import CUSTOMERS_HEADER, drop_file, shop  # noqa: F401 - the fixture

CUSTOMERS = CUSTOMERS_HEADER + """\
1,Robert,Smith,bob@shopmail.net,(206) 555-0143,01/02/1980,2026-11-25 10:00:00
2,Bob,Smith,BOB@shopmail.net,,01/02/1980,2026-11-25 11:00:00
3,Ann,Lee,ann@shopmail.net,206.555.0199,03/04/1990,2026-11-25 12:00:00
"""
ORDERS = """\
{"order_id": "A1", "line": 1, "customer": "1", "product": "P1", "qty": 2, "amount": "20.00", "returned": false, "cancelled": false, "at": "2026-11-25 10:00:00"}
"""


def test_inferred_columns_match_a_real_run(shop, tmp_path, monkeypatch):
    """Every domain, Stitch and customer 360 table: same columns, same order, same types."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    tenant, resource, landing = shop
    inferred = inferred_columns(tenant)
    drop_file(landing, "customers/2026/11/25/customers-1.csv", CUSTOMERS)
    drop_file(landing, "orders/2026-11-25.ndjson", ORDERS)
    assert materialize_tenant(tenant, resource, progress=False).success
    lakehouse = resource.for_tenant(tenant.name)
    stored = {table.name: ("domain", table.key) for table in tenant.domain_tables()}
    stored |= {table.name: (table.layer, table.storage_name("Customer_360")) for table in STANDARD_TABLES}
    assert len(stored) == 14
    con = duckdb.connect()
    for name, (layer, key) in stored.items():
        lakehouse.register(con, "written", layer, key)
        written = [(row[0], row[1]) for row in con.execute("DESCRIBE written").fetchall()]
        assert inferred[name] == written, name
