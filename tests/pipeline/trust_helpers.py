"""A small tenant on disk for crash and concurrency tests, and a snapshot of everything a run leaves.

Two snapshots are equal when every table holds the same rows (in any order), Stitch makes the
same partition of records into people, the exports hold the same bytes and nothing stray is
left: no export temporaries, no table folder without a committed version.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from deltalake import DeltaTable

from amperity_pipelines.storage.lakehouse import LAYERS
from tests.pipeline import conftest as shop_files

REPO = Path(__file__).resolve().parents[2]
HARNESS = Path(__file__).with_name("crash_harness.py")

# Two customer files (one with a quarantined row), a feed without a primary key would double on a
# repeat load: Orders has one, so the ledger is what stops a double load there.
CUSTOMERS_1 = shop_files.CUSTOMERS_HEADER + """\
1,Robert,Smith,bob@shopmail.net,(206) 555-0143,01/02/1980,2026-11-25 10:00:00
2,Bob,Smith,BOB@shopmail.net,,01/02/1980,2026-11-25 11:00:00
3,Ann,Lee,ann@shopmail.net,206.555.0199,03/04/1990,2026-11-25 12:00:00
4,Cy,Young,,+1 206 555 0199,,2026-11-25 12:00:00
"""
CUSTOMERS_2 = shop_files.CUSTOMERS_HEADER + """\
7,Zed,Quinn,zed@x.com,,13/45/1999,2026-11-25 10:00:00
8,Amy,Fox,amy@x.com,,01/01/1970,2026-11-25 10:00:00
9,Amy,Fox,amy@x.com,,01/01/1970,2026-11-25 10:00:01
10,Al,Po,al@po.org,,,2026-11-25 10:00:00
11,Bo,Po,,,,
"""
ORDERS = """\
{"order_id": "A1", "line": 1, "customer": "1", "product": "P1", "qty": 2, "amount": "20.00", "returned": false, "cancelled": false, "at": "2026-11-25 10:00:00"}
{"order_id": "A2", "line": 1, "customer": "3", "product": "P2", "qty": 1, "amount": "5.50", "returned": false, "cancelled": false, "at": "2026-11-25 12:00:00"}
"""
MTIME = 1_764_000_000_000_000_000

# Columns that say when or in which run something happened, not what: left out of comparisons.
VOLATILE = {"loaded_at", "domain_version", "published_at", "run_id"}


def make_tenant(root: Path) -> tuple[Path, Path]:
    """(tenant folder, landing root) of the shop tenant with its files dropped."""
    folder = root / "tenants" / "shop"
    (folder / "sources").mkdir(parents=True)
    (folder / "queries").mkdir()
    (folder / "tenant.yaml").write_text(shop_files.TENANT_YAML)
    (folder / "sources" / "shop.yaml").write_text(shop_files.SOURCE_YAML)
    (folder / "queries" / "emails.sql").write_text(shop_files.QUERY)
    landing = root / "landing"
    files = landing / "shop" / "shop"
    shop_files.drop_file(files, "customers/2026/11/25/customers-1.csv", CUSTOMERS_1, mtime=MTIME)
    shop_files.drop_file(files, "customers/2026/11/25/customers-2.csv", CUSTOMERS_2, mtime=MTIME)
    shop_files.drop_file(files, "orders/2026-11-25.ndjson", ORDERS, mtime=MTIME)
    return folder, landing


def storage_args(lakehouse: Path, landing: Path, exports: Path) -> list[str]:
    return ["--lakehouse", str(lakehouse), "--landing", str(landing), "--exports", str(exports)]


def cli_process(args: list[str], *, cwd: Path, points: Path | None = None, kill_after: int = 0) -> subprocess.Popen:
    """`amperity-pipelines ARGS` as a real process; with `points`, through the crash harness."""
    command = [sys.executable, "-m", "amperity_pipelines.cli", *args]
    if points is not None:
        command = [sys.executable, str(HARNESS), str(points), str(kill_after), "--", *args]
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO), "HOME": str(cwd)}
    return subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _rows(uri: Path) -> list[tuple]:
    table = DeltaTable(str(uri)).to_pyarrow_table()
    keep = [name for name in table.column_names if name not in VOLATILE]
    return sorted((tuple(repr(v) for v in row.values()) for row in table.select(keep).to_pylist()), key=str)


def _published(lakehouse: Path) -> dict[str, int]:
    uri = lakehouse / "system" / "published"
    if not DeltaTable.is_deltatable(str(uri)):
        return {}
    return {r["table_name"]: r["version"] for r in DeltaTable(str(uri)).to_pyarrow_table().to_pylist()}


def snapshot(lakehouse: Path, exports: Path) -> dict:
    """Everything a run leaves, in a form two runs can be compared by (see the module)."""
    tables: dict[str, object] = {}
    stray: list[str] = []
    published = _published(lakehouse)
    for layer in sorted(p for p in lakehouse.iterdir() if p.is_dir() and p.name in LAYERS):
        for folder in sorted(p for p in layer.iterdir() if p.is_dir()):
            if not DeltaTable.is_deltatable(str(folder)):
                stray.append(f"{layer.name}/{folder.name}: a folder without a committed Delta version")
                continue
            if layer.name == "system" and folder.name == "published":
                continue
            name = f"{layer.name}/{folder.name}"
            if layer.name == "stitch":
                if folder.name not in published:
                    continue  # never published: not readable, not part of the state
                table = DeltaTable(str(folder), version=published[folder.name]).to_pyarrow_table()
                keep = [c for c in table.column_names if c not in VOLATILE]
                tables[name] = sorted((tuple(repr(v) for v in row.values()) for row in table.select(keep).to_pylist()), key=str)
            else:
                tables[name] = _rows(folder)
    clusters = None
    if "stitch/Unified_Coalesced" in tables:
        uc = DeltaTable(str(lakehouse / "stitch" / "Unified_Coalesced"), version=published["Unified_Coalesced"]).to_pyarrow_table()
        members: dict[str, set] = {}
        for row in uc.select(["amperity_id", "datasource", "pk"]).to_pylist():
            members.setdefault(row["amperity_id"], set()).add((row["datasource"], row["pk"]))
        clusters = sorted(sorted(m) for m in members.values())
    files = {}
    if exports.exists():
        for path in sorted(exports.rglob("*")):
            if path.is_file():
                if path.name.endswith(".tmp"):
                    stray.append(f"export temporary {path.relative_to(exports)}")
                else:
                    files[str(path.relative_to(exports))] = path.read_bytes()
    return {"tables": tables, "clusters": clusters, "exports": files, "stray": stray}


def differences(expected: dict, actual: dict) -> list[str]:
    found = []
    for name in sorted(set(expected["tables"]) | set(actual["tables"])):
        want, got = expected["tables"].get(name), actual["tables"].get(name)
        if want != got:
            found.append(f"{name}: expected {None if want is None else len(want)} rows, got {None if got is None else len(got)}"
                         f"{'' if want is None or got is None else ' (different content)'}")
    if expected["clusters"] != actual["clusters"]:
        found.append("Stitch clusters differ")
    if expected["exports"] != actual["exports"]:
        found.append(f"exports differ: {sorted(expected['exports'])} vs {sorted(actual['exports'])}")
    found += actual["stray"]
    return found
