"""Configs an outside prober wrote to break `validate`: each is a problem with its file (and line),
found at load time, quickly, without a traceback."""

from __future__ import annotations

import time

import pytest

from amperity_pipelines.config.loader import ConfigError
from amperity_pipelines.tenant_check import load_tenant
from tests.config.test_loader import SOURCE, TENANT, issues_of, write_tenant

PATTERN = "\"'customers/'yyyy'/'MM'/'dd'/customers-*.csv'\""


@pytest.mark.parametrize(
    ("path", "why"),
    [
        ('"../../../outside"', "has a '..' component"),
        ("shop/../../other_tenant", "has a '..' component"),
        ("/tmp/x", "is absolute"),
        ('"C:/landing"', "is absolute"),
        ('"shop\\\\drop"', "contains a backslash"),
        ('"~/landing"', "starts with '~'"),
    ],
)
def test_a_courier_location_must_stay_inside_the_landing_folder(tmp_path, path, why):
    [issue] = issues_of(tmp_path, source=SOURCE.replace("{path: shop}", f"{{path: {path}}}"))
    assert "shop.yaml:13: couriers[0].location.path:" in issue
    assert why in issue and "must stay inside the tenant's landing folder" in issue


@pytest.mark.parametrize(
    "pattern",
    [
        "\"'../../../../outside/secret.csv'\"",
        "\"'customers/../../'yyyy'/x.csv'\"",
        "\"'/etc/'yyyy'.csv'\"",
        "\"'..\\\\'yyyy'.csv'\"",
    ],
)
def test_a_file_pattern_must_stay_inside_the_landing_folder(tmp_path, pattern):
    [issue] = issues_of(tmp_path, source=SOURCE.replace(PATTERN, pattern))
    assert "shop.yaml:15: couriers[0].files[0].pattern: file pattern" in issue and "must stay inside" in issue


def test_dots_and_dates_in_a_file_pattern_are_fine(tmp_path):
    source = SOURCE.replace(PATTERN, "\"'./customers/..customers-'yyyy'.'MM'.'dd'..csv'\"")
    tenant = load_tenant(write_tenant(tmp_path / "t", source=source))
    assert tenant.sources[0].couriers[0].files[0].format == "csv"


@pytest.mark.parametrize("path", ["../../etc", "/tmp/exports", "out/../../x"])
def test_a_destination_path_must_stay_inside_the_exports_folder(tmp_path, path):
    [issue] = issues_of(tmp_path, tenant=TENANT.replace("path: out", f"path: {path}"))
    assert "tenant.yaml:9: destinations[0].path:" in issue and "must stay inside the tenant's exports folder" in issue


def test_an_alias_bomb_is_refused_quickly(tmp_path):
    levels = ["laughs:", "  a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for level in "bcdefghij":
        previous = chr(ord(level) - 1)
        levels.append(f"  {level}: &{level} [{', '.join(['*' + previous] * 9)}]")
    tenant = TENANT.replace("tenant: mini\n", "tenant: mini\nstitch:\n  settings:\n" + "\n".join("    " + line for line in levels) + "\n")
    started = time.monotonic()
    [issue] = issues_of(tmp_path, tenant=tenant)
    assert time.monotonic() - started < 10
    assert "tenant.yaml:" in issue and "YAML aliases expand too much" in issue


def test_simple_anchors_still_work(tmp_path):
    source = SOURCE.replace("type: String,", "type: &text String,").replace("{name: email, tags: email}", "{name: email, type: *text, tags: email}")
    tenant = TENANT.replace("couriers: [Shop_Customers]", "couriers: &couriers [Shop_Customers]")
    loaded = load_tenant(write_tenant(tmp_path / "t", tenant=tenant, source=source))
    assert [f.type for f in loaded.sources[0].feeds[0].fields[:2]] == ["String", "String"]


def test_a_merge_key_may_be_overridden(tmp_path):
    tenant = TENANT.replace(
        "destinations:\n  - name: Drop\n    path: out\n",
        "destinations:\n  - &drop {name: Drop, path: out}\n  - {<<: *drop, name: Drop2}\n",
    )
    loaded = load_tenant(write_tenant(tmp_path / "t", tenant=tenant))
    assert [(d.name, d.path) for d in loaded.spec.destinations] == [("Drop", "out"), ("Drop2", "out")]


def test_a_utf16_file_names_the_file_and_the_encoding(tmp_path):
    folder = write_tenant(tmp_path / "t")
    (folder / "tenant.yaml").write_bytes(b"\xff\xfe" + TENANT.encode("utf-16-le"))
    with pytest.raises(ConfigError) as caught:
        load_tenant(folder)
    [issue] = caught.value.issues
    assert str(issue).startswith(f"{folder / 'tenant.yaml'}:1: not valid UTF-8: the file is UTF-16")


def test_a_key_written_twice_is_a_problem(tmp_path):
    source = SOURCE.replace("    last_updated: updated\n", "    last_updated: updated\n    fields: []\n")
    [issue] = issues_of(tmp_path, source=source)
    assert "shop.yaml:7: duplicate key 'fields' (first on line 6)" in issue


def test_a_key_written_twice_in_a_flow_mapping_is_a_problem(tmp_path):
    [issue] = issues_of(tmp_path, source=SOURCE.replace("{path: shop}", "{path: shop, path: other}"))
    assert "shop.yaml:13: duplicate key 'path' (first on line 13)" in issue


def test_a_joda_letter_format_datetime_cannot_render_fails_validation(tmp_path):
    [issue] = issues_of(tmp_path, query="SELECT format_datetime(current_timestamp, 'yyyy-MM-dd QQQ') AS x FROM Merged_Customers")
    assert "emails.sql" in issue and "'QQQ' is not supported" in issue


def test_a_joda_letter_parse_datetime_cannot_read_fails_validation(tmp_path):
    [issue] = issues_of(tmp_path, query="SELECT parse_datetime(email, 'yyyy QQQ') AS x FROM Merged_Customers")
    assert "emails.sql" in issue and "'QQQ' is not supported" in issue


def test_a_java_letter_in_custom_spark_sql_fails_validation(tmp_path):
    tenant = TENANT + "custom_domain_tables:\n  - {name: X, sql: sql/x.sql, primary_key: [id]}\n"
    folder = write_tenant(tmp_path / "t", tenant=tenant)
    (folder / "sql").mkdir()
    (folder / "sql" / "x.sql").write_text("SELECT id, date_format(updated, 'yyyy QQQ') AS q FROM `Shop:Customers`")
    with pytest.raises(ConfigError) as caught:
        load_tenant(folder)
    assert any("x.sql" in str(i) and "'QQQ' is not supported" in str(i) for i in caught.value.issues)


@pytest.mark.parametrize(
    "query",
    [
        "SELECT " + "(" * 300 + "1" + ")" * 300 + " AS x FROM Merged_Customers",
        "SELECT * FROM " + "(SELECT * FROM " * 150 + "Merged_Customers" + ") t" * 150,
    ],
    ids=["parentheses", "subqueries"],
)
def test_a_query_nested_too_deeply_names_its_file(tmp_path, query):
    [issue] = issues_of(tmp_path, query=query)
    assert "queries/emails.sql" in issue and "nested too deeply to analyse" in issue
