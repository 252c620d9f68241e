"""A one-feed tenant with a real Delta domain table, and a secret file beside it that no query
may read."""

from __future__ import annotations

import pyarrow as pa
import pytest

from amperity_pipelines.storage.lakehouse import Lakehouse
from amperity_pipelines.tenant_check import load_tenant

TENANT_YAML = "tenant: vault\n"

SOURCE_YAML = """\
source: Shop
feeds:
  - name: Customers
    stitch: true
    fields:
      - {name: id, tags: [pk]}
      - {name: email, tags: email}
      - {name: points, type: Integer}
"""

SECRET = "root:x:0:0:the-secret-line\n"


@pytest.fixture
def vault(tmp_path):
    """(tenant, lakehouse, secret file): Shop:Customers holds 3 rows; `secret` is any other file."""
    folder = tmp_path / "tenants" / "vault"
    (folder / "sources").mkdir(parents=True)
    (folder / "queries").mkdir()
    (folder / "tenant.yaml").write_text(TENANT_YAML)
    (folder / "sources" / "shop.yaml").write_text(SOURCE_YAML)
    lakehouse = Lakehouse(str(tmp_path / "lakehouse"), "vault")
    rows = pa.table({"id": ["1", "2", "3"], "email": ["a@x.net", "b@x.net", None], "points": [7, 2, 5]})
    lakehouse.write("domain", "Shop_Customers", rows)
    secret = tmp_path / "secret.csv"
    secret.write_text("line\n" + SECRET)
    return load_tenant(folder), lakehouse, secret
