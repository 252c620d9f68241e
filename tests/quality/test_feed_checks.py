"""Feed checks: the suite a feed implies, tenant expectations checked at load (file:line), and
Great Expectations catching bad tables with failing-row examples, stored results and Data Docs.

Every GX test here shares one tenant and lakehouse (module scope), hence one GX context."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal

import pyarrow as pa
import pytest

from amperity_pipelines.config.loader import ConfigError
from amperity_pipelines.quality.catalog import CATALOG
from amperity_pipelines.quality.expectations import EMAIL_PATTERN, derive_suite
from amperity_pipelines.quality.feed_checks import quality_folder, run_feed_check
from amperity_pipelines.storage.lakehouse import Lakehouse
from amperity_pipelines.tenant_check import load_tenant

TENANT = """\
tenant: acme
quality:
  feeds:
    sample_rows: 1000
"""

SOURCE = """\
source: CRM
feeds:
  - name: People
    stitch: true
    fields:
      - {name: id, tags: [pk]}
      - {name: first, tags: given-name}
      - {name: email, tags: [email, email-opt/email]}
      - {name: phone, tags: phone}
      - {name: zip, tags: postal}
      - {name: born, type: Date, tags: birthdate}
      - {name: tier}
    expectations:
      - expect_column_values_to_be_in_set: {column: tier, value_set: [gold, silver], mostly: 0.5}
  - name: Lines
    primary_key: [order_id, line]
    fields:
      - {name: order_id}
      - {name: line, type: Integer}
      - {name: amount, type: "Decimal(38,2)"}
      - {name: at, type: Datetime}
  - name: Big
    fields:
      - {name: id, tags: pk}
      - {name: email, tags: email}
"""

PEOPLE = pa.schema([("id", pa.string()), ("first", pa.string()), ("email", pa.string()), ("phone", pa.string()),
                    ("zip", pa.string()), ("born", pa.date32()), ("tier", pa.string())])  # fmt: skip
LINES = pa.schema([("order_id", pa.string()), ("line", pa.int64()), ("amount", pa.decimal128(38, 2)), ("at", pa.timestamp("us"))])


def write_tenant(folder, tenant_yaml: str = TENANT, source_yaml: str = SOURCE):
    (folder / "sources").mkdir(parents=True, exist_ok=True)
    (folder / "tenant.yaml").write_text(tenant_yaml)
    (folder / "sources" / "CRM.yaml").write_text(source_yaml)
    return folder


@pytest.fixture(scope="module")
def acme(tmp_path_factory):
    base = tmp_path_factory.mktemp("acme")
    tenant = load_tenant(write_tenant(base / "tenants" / "acme"))
    return tenant, Lakehouse(str(base / "lakehouse"), "acme")


def test_suite_follows_the_feed(acme):
    tenant, _ = acme
    people = tenant.domain_table("CRM:People")
    suite = derive_suite(people, {f.name: f.type for f in PEOPLE}, tenant.spec.quality.feeds, previous_rows=200, today=date(2026, 11, 29))
    by_kind = {}
    for e in suite.expectations:
        by_kind.setdefault(e.type, []).append(e.kwargs)
    assert {"column": "born", "type_": "date"} in by_kind["expect_column_values_to_be_of_type"]
    assert {"column": "id", "type_": "str"} in by_kind["expect_column_values_to_be_of_type"]
    assert by_kind["expect_column_values_to_not_be_null"] == [{"column": "id"}]
    assert by_kind["expect_column_values_to_be_unique"] == [{"column": "id"}]
    regexes = {k["column"]: (k["regex"], k["mostly"]) for k in by_kind["expect_column_values_to_match_regex"]}
    assert regexes["email"] == (EMAIL_PATTERN, 0.95) and set(regexes) == {"email", "phone", "zip"}
    [born] = by_kind["expect_column_values_to_be_between"]
    assert (born["min_value"], born["max_value"], born["strict_min"]) == (date(1900, 1, 1), date(2026, 11, 29), True)
    assert by_kind["expect_table_row_count_to_be_between"] == [{"min_value": 180, "max_value": 600}]
    assert suite.expectations[-1].origin == "tenant expectation" and suite.key_columns == ["id"]

    lines = derive_suite(tenant.domain_table("CRM:Lines"), {f.name: f.type for f in LINES}, tenant.spec.quality.feeds,
                         previous_rows=None, today=date(2026, 11, 29))  # fmt: skip
    kinds = [e.type for e in lines.expectations]
    assert {"column_list": ["order_id", "line"]} in [e.kwargs for e in lines.expectations]
    assert "expect_table_row_count_to_be_between" not in kinds, "no previous load, no row-count band"
    assert {"column": "amount", "type_": "Decimal"} in [e.kwargs for e in lines.expectations]


def test_catalog_matches_great_expectations():
    from great_expectations.expectations.registry import get_expectation_impl

    for name, args in CATALOG.items():
        fields = get_expectation_impl(name).__fields__
        assert set(args.allowed) <= set(fields), f"{name}: {set(args.allowed) - set(fields)} are not GX arguments"
        gx_required = {k for k, f in fields.items() if f.required}
        assert gx_required <= set(args.required), f"{name}: GX requires {gx_required - set(args.required)}"


def test_loader_names_file_and_line_of_bad_expectations(tmp_path):
    source = SOURCE.replace(
        "      - expect_column_values_to_be_in_set: {column: tier, value_set: [gold, silver], mostly: 0.5}\n",
        "      - expect_column_values_to_be_in_sett: {column: tier, value_set: [gold]}\n"
        "      - expect_column_values_to_be_in_set: {colum: tier, value_set: [gold]}\n"
        "      - expect_column_values_to_match_regex: {column: teir, regex: '[', mostly: 1.5}\n",
    )
    with pytest.raises(ConfigError) as caught:
        load_tenant(write_tenant(tmp_path / "acme", source_yaml=source))
    issues = {(i.line, i.field): i.message for i in caught.value.issues}
    path = caught.value.issues[0].file
    assert path.name == "CRM.yaml" and all(i.file == path for i in caught.value.issues)
    assert "did you mean expect_column_values_to_be_in_set?" in issues[(14, "feeds[0].expectations[0].expect_column_values_to_be_in_sett")]
    assert "takes no argument 'colum'" in issues[(15, "feeds[0].expectations[1].expect_column_values_to_be_in_set.colum")]
    assert "needs argument 'column'" in issues[(15, "feeds[0].expectations[1].expect_column_values_to_be_in_set")]
    regex = "feeds[0].expectations[2].expect_column_values_to_match_regex"
    assert "'teir' is not a column" in issues[(16, f"{regex}.column")]
    assert "not a valid regular expression" in issues[(16, f"{regex}.regex")]
    assert "mostly must be a number from 0 to 1" in issues[(16, f"{regex}.mostly")]


def test_quality_settings_are_checked_with_lines(tmp_path):
    tenant_yaml = TENANT + "  stitch:\n    blocking: [dedupe_rate, dedupe_rates]\n    values_per_id: {emails: {more_than: 3, max_share: 1%}}\n"
    tenant_yaml = tenant_yaml.replace("    sample_rows: 1000\n", "    sample_rows: 1000\n    postal_pattern: '(['\n")
    with pytest.raises(ConfigError) as caught:
        load_tenant(write_tenant(tmp_path / "acme", tenant_yaml=tenant_yaml))
    text = str(caught.value)
    assert "tenant.yaml:5: quality.feeds.postal_pattern: postal_pattern is not a valid regular expression" in text
    assert "tenant.yaml:7: quality.stitch.blocking: unknown Stitch check 'dedupe_rates'" in text
    assert "tenant.yaml:8: quality.stitch.values_per_id.emails" in text


def test_bad_table_fails_with_examples_results_and_docs(acme):
    tenant, lakehouse = acme
    rows = [
        ("1", "Ann", "ann@example.org", "206 555 0143", "98101", date(1990, 3, 4), "gold"),
        ("2", "Bo", "bo@example", "2065550144", "98101-1234", date(1850, 1, 1), "bronze"),
        ("2", "Bob", "bob@example.org", "2065550145", "V6B 3K9", date(1980, 1, 1), "bronze"),
        ("4", "Cy", None, "12", "9810", date(1900, 1, 1), "bronze"),
        ("5", "Di", "di@example.org", None, None, None, "silver"),
    ]
    lakehouse.write("domain", "CRM_People", pa.Table.from_pylist([dict(zip(PEOPLE.names, r)) for r in rows], schema=PEOPLE))
    report = run_feed_check(tenant, tenant.domain_table("CRM:People"), lakehouse, run_name="run-1", today=date(2026, 11, 29))
    assert not report.passed and not report.sampled and report.rows == 5
    failing = {(f.type, f.column): f for f in report.validation.failures}
    unique = failing[("expect_column_values_to_be_unique", "id")]
    assert unique.unexpected_count == 2 and unique.examples == [{"id": "2"}, {"id": "2"}]
    email = failing[("expect_column_values_to_match_regex", "email")]
    assert email.unexpected_count == 1 and email.examples == [{"email": "bo@example", "id": "2"}]
    born = failing[("expect_column_values_to_be_between", "born")]
    assert sorted(e["born"] for e in born.examples) == ["1850-01-01", "1900-01-01"]
    assert failing[("expect_column_values_to_be_in_set", "tier")].origin == "tenant expectation"
    assert ("expect_column_values_to_match_regex", "zip") in failing  # "9810": 1 of 4 > the 5% allowed
    assert ("expect_column_values_to_match_regex", "phone") in failing
    assert "CRM:People (version 0, 5 rows)" in report.description() and "bo@example" not in report.description()

    folder = quality_folder(lakehouse)
    assert report.validation.result_file.is_relative_to(folder)
    stored = json.loads(report.validation.result_file.read_text())
    assert stored["success"] is False and stored["meta"]["run_id"]["run_name"] == "run-1"
    page = report.validation.data_docs
    assert page.is_relative_to(folder / "data_docs") and "bo@example" in page.read_text()  # failing values shown
    assert "run-1" in (folder / "data_docs" / "index.html").read_text()


def test_row_count_and_compound_key_against_previous_load(acme):
    tenant, lakehouse = acme
    at = datetime(2026, 11, 25, 10, 0)
    first = [{"order_id": f"A{i}", "line": 1, "amount": Decimal("1.00"), "at": at} for i in range(10)]
    lakehouse.write("domain", "CRM_Lines", pa.Table.from_pylist(first, schema=LINES))
    clean = run_feed_check(tenant, tenant.domain_table("CRM:Lines"), lakehouse, run_name="lines-1")
    assert clean.passed and clean.previous_rows is None, clean.description()

    second = [{"order_id": "A1", "line": 1, "amount": Decimal("2.00"), "at": at}] * 2
    lakehouse.write("domain", "CRM_Lines", pa.Table.from_pylist(second, schema=LINES))
    report = run_feed_check(tenant, tenant.domain_table("CRM:Lines"), lakehouse, run_name="lines-2")
    failing = {f.type: f for f in report.validation.failures}
    assert report.previous_rows == 10 and report.version == 1
    count = failing["expect_table_row_count_to_be_between"]
    assert count.observed_value == 2 and count.kwargs["min_value"] == 9
    assert failing["expect_compound_columns_to_be_unique"].examples == [{"order_id": "A1", "line": 1}] * 2


def test_big_table_is_sampled_and_keys_checked_over_all_rows(acme):
    tenant, lakehouse = acme
    rows = [{"id": str(i), "email": f"p{i}@example.org"} for i in range(3000)] + [{"id": "17", "email": "again@example.org"}]
    lakehouse.write("domain", "CRM_Big", pa.Table.from_pylist(rows))
    report = run_feed_check(tenant, tenant.domain_table("CRM:Big"), lakehouse, run_name="big-1")
    assert report.sampled and report.rows == 3001 and report.rows_validated == 1000
    assert not report.passed
    assert report.problems == ["primary key id: 1 keys on more than one row (whole table)"]
    assert report.key_examples == [{"id": "17", "copies": 2}]
    assert "1,000-row sample of 3,001 rows" in report.description()
