"""Fuzz the tenant loader with mutated configs: whatever the YAML, `load_tenant` either returns a
tenant or raises ConfigError whose every problem names a file of the tenant; never another
exception (a TypeError from a validator, a KeyError in a cross-reference check, a RecursionError).

The configs start from the pipeline tests' two-feed tenant (tests/pipeline/conftest.py) and are
mutated as a person editing them might: keys deleted, duplicated or renamed, values retyped
(a list where a name goes, a number where a cron goes), lines deleted or doubled, stray YAML.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import yaml
from hypothesis import event, given
from hypothesis import strategies as st

from amperity_pipelines.config.loader import ConfigError
from amperity_pipelines.tenant_check import load_tenant
from tests.pipeline.conftest import QUERY, SOURCE_YAML, TENANT_YAML

NAMES = ["Shop", "Customers", "Orders", "Shop_Customers", "Daily", "Drop", "emails", "id", "email", "pk", "Merged_Customers"]
scalar = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 10**12),
    st.floats(allow_nan=True),
    st.sampled_from(NAMES + ["", " ", "0 6 * * *", "25%", "yyyy-QQ", "'x", "latin-9", "String", "Decimal(38,99)"]),
    st.text(max_size=12),
)
value = st.recursive(scalar, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(NAMES + ["name", "tags"]), inner, max_size=3), max_leaves=5)


def paths(node, prefix=()):
    """Every path (tuple of keys and indexes) into a parsed YAML tree, the root included."""
    yield prefix
    if isinstance(node, dict):
        for key, child in node.items():
            yield from paths(child, (*prefix, key))
    elif isinstance(node, list):
        for index, child in enumerate(node):
            yield from paths(child, (*prefix, index))


def at(node, path):
    for part in path:
        node = node[part]
    return node


@st.composite
def mutated_tree(draw, text: str) -> str:
    data = yaml.safe_load(text)
    for _ in range(draw(st.integers(1, 3))):
        candidates = [p for p in paths(data) if p]
        if not candidates:
            break
        path = draw(st.sampled_from(candidates))
        parent, key = at(data, path[:-1]), path[-1]
        action = draw(st.sampled_from(["delete", "retype", "retype", "rename", "duplicate"]))
        if action == "delete":
            del parent[key]
        elif action == "retype":
            parent[key] = draw(value)
        elif action == "rename" and isinstance(parent, dict):
            parent[draw(st.sampled_from(NAMES + ["nme", "type", "format", "encoding"]))] = parent.pop(key)
        elif action == "duplicate" and isinstance(parent, list):
            parent.insert(key, parent[key])
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


@st.composite
def mutated_text(draw, text: str) -> str:
    lines = text.splitlines()
    for _ in range(draw(st.integers(1, 3))):
        index = draw(st.integers(0, len(lines) - 1))
        action = draw(st.sampled_from(["delete", "double", "insert", "indent"]))
        if action == "delete" and len(lines) > 1:
            del lines[index]
        elif action == "double":
            lines.insert(index, lines[index])  # a key twice: a duplicate-key problem
        elif action == "insert":
            lines.insert(index, draw(st.sampled_from(["- x", "  ? [a, b]\n  : 1", "  &a [*a]", "!!binary aGk=", "\t", "key: {", "  - {name: x, type: [1]}", "---", "  format: 'yyyy"])))
        elif action == "indent":
            lines[index] = " " + lines[index]
    return "\n".join(lines) + "\n"


# The pipeline tests' tenant with the other kinds of settings a tenant.yaml holds, for the mutations
# to reach their checks too: Stitch settings, a custom domain table, a database table.
TENANT_WITH_MORE = TENANT_YAML + """\
stitch:
  settings:
    preset: record-linkage
    threshold: High
    nicknames: {add: [[robert, bob]], remove: [[william, bill]]}
    rules: [{condition: different-birthdates}]
    bad_value_rules: [{semantic: email, proxy: given_name, threshold: 20}]
custom_domain_tables:
  - name: Vip_Customers
    sql: sql/vip.sql
    tags: {id: pk}
databases:
  - name: Customer_360
    source_priority: {Shop: 1}
    tables:
      - {name: Vip, sql: sql/vip_360.sql}
"""
EXTRA_SQL = {
    "sql/vip.sql": "SELECT id FROM `Shop:Customers`",
    "sql/vip_360.sql": "SELECT * FROM Merged_Customers",
}


def config_text(original: str):
    return st.one_of(st.just(original), mutated_tree(original), mutated_text(original))


@given(tenant=st.one_of(config_text(TENANT_YAML), config_text(TENANT_WITH_MORE)), source=config_text(SOURCE_YAML))
def test_any_config_loads_or_names_its_problems(tenant, source):
    with tempfile.TemporaryDirectory() as root:
        folder = Path(root) / "shop"
        (folder / "sources").mkdir(parents=True)
        (folder / "queries").mkdir()
        (folder / "tenant.yaml").write_text(tenant, encoding="utf-8")
        (folder / "sources" / "shop.yaml").write_text(source, encoding="utf-8")
        (folder / "queries" / "emails.sql").write_text(QUERY, encoding="utf-8")
        for relative, sql in EXTRA_SQL.items():
            (folder / relative).parent.mkdir(exist_ok=True)
            (folder / relative).write_text(sql, encoding="utf-8")
        try:
            load_tenant(folder)
        except ConfigError as err:
            assert err.issues, "a ConfigError without problems"
            for issue in err.issues:
                assert str(issue.file).startswith(str(folder)), f"a problem that names no tenant file: {issue}"
                assert issue.message, f"a problem without a message: {issue}"
            event(f"ConfigError ({len(err.issues)} problems)" if len(err.issues) > 1 else "ConfigError (1 problem)")
            return
    event("loaded")


def test_the_fuzzed_configs_start_valid(tmp_path):
    folder = tmp_path / "shop"
    for relative, text in {"tenant.yaml": TENANT_WITH_MORE, "sources/shop.yaml": SOURCE_YAML, "queries/emails.sql": QUERY, **EXTRA_SQL}.items():
        (folder / relative).parent.mkdir(parents=True, exist_ok=True)
        (folder / relative).write_text(text)
    tenant = load_tenant(folder)
    assert tenant.spec.stitch.settings["preset"] == "record-linkage" and tenant.sql_files["sql/vip.sql"]
