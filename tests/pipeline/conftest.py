"""A small tenant written to a temp folder, for pipeline tests that need exact control of files."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest

from amperity_pipelines.resources import LakehouseResource
from amperity_pipelines.tenant_check import load_tenant

TENANT_YAML = """\
tenant: shop
courier_groups:
  - name: Daily
    couriers: [Shop_Customers, Shop_Orders]
    cron: "0 6 * * *"
destinations:
  - name: Drop
    path: drop
    done_marker: true
orchestrations:
  - name: Send_Emails
    query: emails
    destination: Drop
    trigger: after_courier_group
    courier_group: Daily
"""

SOURCE_YAML = """\
source: Shop
feeds:
  - name: Customers
    stitch: true
    last_updated: updated
    error_threshold: 25%
    fields:
      - {name: id, tags: [pk, fk-shop-customer]}
      - {name: first, tags: given-name}
      - {name: last, tags: surname}
      - {name: email, tags: email}
      - {name: phone, tags: phone}
      - {name: born, type: Date, format: MM/dd/yyyy, tags: birthdate}
      - {name: updated, type: Datetime, format: yyyy-MM-dd HH:mm:ss}
  - name: Orders
    primary_key: [order_id, line]
    fields:
      - {name: order_id, tags: txn-item/order-id}
      - {name: line, type: Integer}
      - {name: customer, tags: txn-item/fk-shop-customer}
      - {name: product, tags: txn-item/product-id}
      - {name: qty, type: Integer, tags: txn-item/item-quantity}
      - {name: amount, type: "Decimal(38,2)", tags: txn-item/item-revenue}
      - {name: returned, type: Boolean, tags: txn-item/is-return}
      - {name: cancelled, type: Boolean, tags: txn-item/is-cancellation}
      - {name: at, type: Datetime, format: yyyy-MM-dd HH:mm:ss, tags: txn-item/order-datetime}
couriers:
  - name: Shop_Customers
    location: {path: shop}
    files:
      - {pattern: "'customers/'yyyy'/'MM'/'dd'/customers-*.csv'", feed: Customers}
  - name: Shop_Orders
    location: {path: shop}
    files:
      - {pattern: "'orders/'yyyy-MM-dd'.ndjson'", feed: Orders}
"""

QUERY = 'SELECT c.amperity_id, c.email FROM Merged_Customers AS c WHERE c.email IS NOT NULL ORDER BY 2'

CUSTOMERS_HEADER = "id,first,last,email,phone,born,updated\n"


@pytest.fixture
def shop(tmp_path, monkeypatch):
    """(tenant, resource, landing folder) for a fresh two-feed tenant under tmp_path."""
    folder = tmp_path / "tenants" / "shop"
    (folder / "sources").mkdir(parents=True)
    (folder / "queries").mkdir()
    (folder / "tenant.yaml").write_text(TENANT_YAML)
    (folder / "sources" / "shop.yaml").write_text(SOURCE_YAML)
    (folder / "queries" / "emails.sql").write_text(QUERY)
    resource = LakehouseResource(
        root=str(tmp_path / "lakehouse"), landing_root=str(tmp_path / "landing"), exports_root=str(tmp_path / "exports")
    )
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    return load_tenant(folder), resource, tmp_path / "landing" / "shop" / "shop"


def drop_file(landing: Path, relative: str, text: str, *, mtime: int | None = None) -> Path:
    path = landing / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))
    if mtime is not None:
        os.utime(path, ns=(mtime, mtime))
    return path
