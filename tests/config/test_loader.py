"""The tenant loader: valid configs load; every error names file, line and field."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from amperity_pipelines.config.loader import ConfigError
from amperity_pipelines.tenant_check import load_tenant

TENANT = """\
tenant: mini
courier_groups:
  - name: Daily
    couriers: [Shop_Customers]
    cron: "0 6 * * *"
    timezone: America/Los_Angeles
destinations:
  - name: Drop
    path: out
data_templates:
  - name: Slim
    columns: [amperity_id, {email: email_address}]
orchestrations:
  - name: Send
    query: emails
    destination: Drop
    template: Slim
"""

SOURCE = """\
source: Shop
feeds:
  - name: Customers
    stitch: true
    last_updated: updated
    fields:
      - {name: id, type: String, tags: [pk, fk-shop-customer]}
      - {name: email, tags: email}
      - {name: born, type: Date, format: MM/dd/yyyy, tags: birthdate}
      - {name: updated, type: Datetime}
couriers:
  - name: Shop_Customers
    location: {path: shop}
    files:
      - pattern: "'customers/'yyyy'/'MM'/'dd'/customers-*.csv'"
        feed: Customers
"""


def write_tenant(root: Path, tenant: str = TENANT, source: str = SOURCE, query: str = "SELECT amperity_id, email FROM Merged_Customers") -> Path:
    (root / "sources").mkdir(parents=True)
    (root / "queries").mkdir()
    (root / "tenant.yaml").write_text(textwrap.dedent(tenant))
    (root / "sources" / "shop.yaml").write_text(textwrap.dedent(source))
    (root / "queries" / "emails.sql").write_text(query)
    return root


def test_valid_tenant_loads(tmp_path):
    tenant = load_tenant(write_tenant(tmp_path / "mini"))
    assert tenant.name == "mini"
    [table] = tenant.domain_tables()
    assert table.name == "Shop:Customers" and table.key == "Shop_Customers"
    assert table.primary_key == ["id"] and table.stitch
    assert tenant.stitched_tables() == [table]
    assert tenant.spec.data_templates[0].columns[1].name == "email_address"


def issues_of(tmp_path, **kwargs) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_tenant(write_tenant(tmp_path / "t", **kwargs))
    return [str(i) for i in caught.value.issues]


def test_unknown_field_type_names_file_line_and_field(tmp_path):
    [issue] = issues_of(tmp_path, source=SOURCE.replace("type: Date,", "type: Dates,"))
    assert "shop.yaml:9: feeds[0].fields[2].type" in issue
    assert "expected one of Boolean" in issue


def test_unknown_semantic_tag(tmp_path):
    [issue] = issues_of(tmp_path, source=SOURCE.replace("tags: email}", "tags: e-mail}"))
    assert "shop.yaml:8: feeds[0].fields[1].tags" in issue and "'e-mail'" in issue


def test_unknown_setting_and_missing_setting(tmp_path):
    issues = issues_of(tmp_path, source=SOURCE.replace("stitch: true", "stich: true").replace("        feed: Customers\n", ""))
    assert any("shop.yaml:4: feeds[0].stich: unknown setting 'stich'" in i for i in issues)
    assert any("couriers[0].files[0].feed: required setting is missing" in i for i in issues)


def test_cross_references_are_checked(tmp_path):
    tenant = TENANT.replace("couriers: [Shop_Customers]", "couriers: [Nope]").replace("template: Slim", "template: Fat")
    source = SOURCE.replace("        feed: Customers", "        feed: Orders")
    issues = issues_of(tmp_path, tenant=tenant, source=source)
    assert any("tenant.yaml:4: courier_groups[0].couriers[0]: unknown courier 'Nope'" in i for i in issues)
    assert any("unknown data template 'Fat'" in i for i in issues)
    assert any("shop.yaml:16: couriers[0].files[0].feed: unknown feed 'Orders'" in i for i in issues)


def test_bad_cron_and_timezone(tmp_path):
    issues = issues_of(tmp_path, tenant=TENANT.replace('"0 6 * * *"', '"0 25 * * *"').replace("America/Los_Angeles", "Mars/Base"))
    assert any("tenant.yaml:5: courier_groups[0].cron" in i for i in issues)
    assert any("unknown time zone 'Mars/Base'" in i for i in issues)


def test_query_that_does_not_parse(tmp_path):
    [issue] = issues_of(tmp_path, query="SELECT amperity_id FROM Merged_Customers WHERE (")
    assert "emails.sql" in issue


def test_query_reading_unknown_table(tmp_path):
    [issue] = issues_of(tmp_path, query="SELECT * FROM Nowhere")
    assert "emails.sql" in issue and "'Nowhere'" in issue


def test_yaml_syntax_error_has_line(tmp_path):
    [issue] = issues_of(tmp_path, source=SOURCE.replace("    stitch: true", "    stitch: [true"))
    assert "shop.yaml:" in issue and "invalid YAML" in issue


def test_primary_key_and_last_updated_must_exist(tmp_path):
    issues = issues_of(tmp_path, source=SOURCE.replace("last_updated: updated", "last_updated: born"))
    assert any("last_updated field 'born' is Date: expected Datetime or Integer" in i for i in issues)


def test_demo_tenant_is_valid():
    tenant = load_tenant(Path(__file__).resolve().parents[2] / "tenants" / "demo")
    assert len(tenant.sources) >= 4
    assert tenant.stitched_tables()


def test_stitch_settings_are_checked_with_their_lines(tmp_path):
    tenant = TENANT + textwrap.dedent(
        """\
        stitch:
          labels: "Shop:Labels"
          settings:
            threshold: Highest
            strategies: [dnf1, email]
            rules:
              - {condition: different-birthdates}
              - {condition: present-and-not-equal}
            nicknames: {add: [[robert]]}
        """
    )
    issues = issues_of(tmp_path, tenant=tenant)
    assert any("tenant.yaml:19: stitch.labels: unknown domain table 'Shop:Labels'" in i for i in issues)
    assert any("tenant.yaml:21: stitch.settings.threshold: threshold 'Highest': expected 1-5" in i for i in issues)
    assert any("tenant.yaml:23: stitch.settings.rules: rule 'present-and-not-equal' needs a semantic" in i for i in issues)
    assert any("tenant.yaml:26: stitch.settings.nicknames.add[0]: expected [canonical name, nickname]" in i for i in issues)
    assert len(issues) == 4


def test_stitch_settings_load():
    from amperity_pipelines.stitch.settings_yaml import parse_settings

    settings, problems = parse_settings({"threshold": "excellent", "block-size-cap": 40, "run_type": "incremental"})
    assert problems == [] and (settings.threshold, settings.block_size_cap, settings.run_type) == (4, 40, "incremental")


def test_stitch_settings_preset_with_overrides():
    from amperity_pipelines.stitch.settings_yaml import parse_settings
    from amperity_pipelines.stitch.settings import PRESETS

    settings, problems = parse_settings({"preset": "record-linkage", "threshold": 4})
    assert problems == [] and settings.threshold == 4
    assert settings.strategies == tuple(PRESETS["record-linkage"]["strategies"])
    assert parse_settings({"preset": "nope"})[1] == [(("preset",), "unknown Stitch settings preset 'nope': expected one of record-linkage")]


def test_unsupported_joda_letter_names_file_line_field_and_letter(tmp_path):
    [issue] = issues_of(tmp_path, source=SOURCE.replace("format: MM/dd/yyyy", "format: MM/dd/yyyy QQ"))
    assert issue.startswith(f"{tmp_path / 't' / 'sources' / 'shop.yaml'}:9: feeds[0].fields[2].format: Date field born: ")
    assert "'QQ' (letter Q)" in issue and "supported letters are y, Y, M, d, D, H, h, m, s, S, a, E, Z, z" in issue
    assert "single quotes" in issue


def test_date_formats_are_checked_where_they_are_used(tmp_path):
    source = SOURCE.replace("      - {name: updated, type: Datetime}", "      - {name: updated, type: Datetime, format: \"yyyy-MM-dd'T\"}")
    source = source.replace("    stitch: true\n", "    stitch: true\n    datetime_format: \"--\"\n")
    issues = issues_of(tmp_path, source=source)
    assert any("shop.yaml:5: feeds[0].datetime_format: format '--' has no date or time field" in i for i in issues)
    assert any("shop.yaml:11: feeds[0].fields[3].format: Datetime field updated: format \"yyyy-MM-dd'T\": unterminated quote" in i for i in issues)
    assert len(issues) == 2
    # a String field's format is not read, epoch keywords are not patterns
    ok = SOURCE.replace("{name: email, tags: email}", "{name: email, tags: email, format: QQ}")
    ok = ok.replace("{name: updated, type: Datetime}", "{name: updated, type: Datetime, format: epoch_ms}")
    load_tenant(write_tenant(tmp_path / "ok", source=ok))


def test_file_encoding_and_empty_file_settings(tmp_path):
    files = "      - pattern: \"'customers/'yyyy'/'MM'/'dd'/customers-*.csv'\"\n        feed: Customers\n"
    good = SOURCE.replace(files, files + "        encoding: Windows-1252\n        empty_file: fail\n")
    tenant = load_tenant(write_tenant(tmp_path / "good", source=good))
    [(_, courier)] = tenant.couriers()
    assert (courier.files[0].encoding, courier.files[0].empty_file) == ("cp1252", "fail")

    bad = SOURCE.replace(files, files + "        encoding: ebcdic\n        empty_file: sometimes\n")
    issues = issues_of(tmp_path, source=bad)
    assert any("shop.yaml:17: couriers[0].files[0].encoding: unknown encoding 'ebcdic': expected utf-8, latin-1" in i for i in issues)
    assert any("shop.yaml:18: couriers[0].files[0].empty_file: Input should be 'warn', 'fail' or 'allow'" in i for i in issues)


def test_encoding_on_parquet_is_refused(tmp_path):
    source = SOURCE.replace("customers-*.csv'\"", "customers-*.parquet'\"\n        encoding: latin-1")
    [issue] = issues_of(tmp_path, source=source)
    assert "shop.yaml:15: couriers[0].files[0]: encoding applies to text files" in issue


# Crashes and late failures found by the config fuzz test (tests/fuzz/test_fuzz_config.py) and
# the cases next to them: each is now a problem with its file and line.


def test_recursive_yaml_alias_is_a_problem_not_a_recursion_error(tmp_path):
    [issue] = issues_of(tmp_path, tenant=TENANT + "stitch: &a {tables: *a}\n")
    assert "tenant.yaml:" in issue and "stitch.tables" in issue


def test_config_files_not_in_utf8_name_the_line(tmp_path):
    source = SOURCE.replace("feeds:", "# Sh\u00f6p\nfeeds:").encode("latin-1")
    folder = write_tenant(tmp_path / "t")
    (folder / "sources" / "shop.yaml").write_bytes(source)
    (folder / "queries" / "emails.sql").write_bytes("SELECT 'caf\u00e9' AS x\nFROM Merged_Customers".encode("latin-1"))
    with pytest.raises(ConfigError) as caught:
        load_tenant(folder)
    messages = sorted(str(i).replace(str(folder), "") for i in caught.value.issues)
    assert messages == [
        "/queries/emails.sql:1: not valid UTF-8: byte 0xe9 (save the file as UTF-8)",
        "/sources/shop.yaml:2: not valid UTF-8: byte 0xf6 (save the file as UTF-8)",
    ]


def test_a_folder_of_time_zones_is_not_a_time_zone(tmp_path):
    [issue] = issues_of(tmp_path, tenant=TENANT.replace("America/Los_Angeles", "America"))
    assert "tenant.yaml:6: courier_groups[0].timezone: unknown time zone 'America'" in issue


def test_stitch_settings_of_the_wrong_shape(tmp_path):
    tenant = TENANT + "stitch:\n  settings:\n    preset: [1]\n    nicknames: {add: 5}\n"
    issues = issues_of(tmp_path, tenant=tenant)
    assert any("tenant.yaml:20: stitch.settings.preset: unknown Stitch settings preset [1]" in i for i in issues)
    assert any("tenant.yaml:21: stitch.settings.nicknames.add: expected a list of [canonical name, nickname] pairs" in i for i in issues)


def test_sql_files_must_be_inside_the_tenant_folder(tmp_path):
    tenant = TENANT + "custom_domain_tables:\n  - {name: X, sql: ../../../../etc/passwd, primary_key: [a]}\n"
    [issue] = issues_of(tmp_path, tenant=tenant)
    assert "tenant.yaml:19: custom_domain_tables[0].sql: SQL file '../../../../etc/passwd' is not a path inside the tenant folder" in issue


def test_file_pattern_separator_quote_and_threshold_are_checked_at_load(tmp_path):
    pattern = "'customers/'yyyy'/'MM'/'dd'/customers-*.csv'"
    source = SOURCE.replace(f'"{pattern}"', '"customers_yyyyMMdd.csv"\n        separator: ""\n        quote: "ab"')
    source = source.replace("    stitch: true\n", "    stitch: true\n    error_threshold: lots%\n")
    issues = issues_of(tmp_path, source=source)
    assert any("shop.yaml:16: couriers[0].files[0].pattern: file pattern 'customers_yyyyMMdd.csv': 'c' is not a supported date field" in i for i in issues)
    assert any("shop.yaml:18: couriers[0].files[0].quote: quote 'ab': expected one ASCII character" in i for i in issues)
    assert any("shop.yaml:5: feeds[0].error_threshold: 'lots%' is not a percentage" in i for i in issues)
    separator = SOURCE.replace("        feed: Customers\n", "        feed: Customers\n        separator: ''\n")
    [issue] = issues_of(tmp_path / "sep", source=separator)
    assert "couriers[0].files[0]: separator '': expected 1 to 4 bytes" in issue


def test_every_name_is_checked_by_the_name_type_with_its_line(tmp_path):
    source = SOURCE.replace("source: Shop", "source: Sh-op").replace("  - name: Customers", "  - name: 9Customers")
    source = source.replace("{name: email, tags: email}", "{name: e mail, tags: email}")
    tenant = TENANT.replace("  - name: Drop", "  - name: Drop.Box").replace("  - name: Slim", "  - name: Slim Fit")
    issues = issues_of(tmp_path, tenant=tenant, source=source)
    message = "is not a valid name: use letters, digits and underscores, starting with a letter"
    assert f"{tmp_path / 't' / 'sources' / 'shop.yaml'}:1: source: 'Sh-op' {message}" in issues
    assert any(f"shop.yaml:3: feeds[0].name: '9Customers' {message}" in i for i in issues)
    assert any(f"shop.yaml:8: feeds[0].fields[1].name: 'e mail' {message}" in i for i in issues)
    assert any(f"tenant.yaml:8: destinations[0].name: 'Drop.Box' {message}" in i for i in issues)
    assert any(f"tenant.yaml:11: data_templates[0].name: 'Slim Fit' {message}" in i for i in issues)
    assert len(issues) == 5


def test_the_checked_tenant_carries_its_parsed_stitch_settings(tmp_path, monkeypatch):
    from amperity_pipelines import tenant_check

    tenant = load_tenant(write_tenant(tmp_path / "s", tenant=TENANT + "stitch:\n  settings: {threshold: excellent}\n"))
    assert tenant.stitch_settings.threshold == 4
    monkeypatch.setattr(tenant_check, "parse_settings", lambda data: pytest.fail("the settings were parsed again"))
    assert tenant_check.stitch_settings(tenant) is tenant.stitch_settings
