"""Stitch checks over hand-made Stitch tables: every figure, verdict and example is known in
advance, so a wrong count or a wrong threshold comparison shows here, not in production."""

from __future__ import annotations

from datetime import datetime

import pyarrow as pa
import pytest

from amperity_pipelines.quality.stitch_checks import check_names, run_stitch_checks
from amperity_pipelines.storage.lakehouse import Lakehouse
from amperity_pipelines.tenant_check import load_tenant

SOURCE = """\
source: CRM
feeds:
  - name: People
    stitch: true
    fields:
      - {name: id, tags: [pk]}
      - {name: first, tags: given-name}
      - {name: email, tags: email}
      - {name: phone, tags: phone}
      - {name: born, type: Date, tags: birthdate}
"""

UC = pa.schema([("amperity_id", pa.string()), ("datasource", pa.string()), ("pk", pa.string()), ("given_name", pa.string()),
                ("email", pa.string()), ("phone", pa.string()), ("birthdate", pa.date32()), ("blv_given_name", pa.bool_())])  # fmt: skip
CHANGES = pa.schema([("amperity_id", pa.string()), ("amperity_id_prev", pa.string()), ("datasource", pa.string()), ("pk", pa.string()),
                     ("change_type", pa.string()), ("job_id", pa.string()), ("timestamp", pa.timestamp("us"))])  # fmt: skip


def record(amperity_id, pk, given="Ann", email=None, phone=None, born=None, blv=False):
    return {"amperity_id": amperity_id, "datasource": "CRM:People", "pk": pk, "given_name": given, "email": email,
            "phone": phone, "birthdate": born, "blv_given_name": blv}  # fmt: skip


@pytest.fixture
def acme(tmp_path):
    def make(quality: str = ""):
        folder = tmp_path / "tenants" / "acme"
        (folder / "sources").mkdir(parents=True, exist_ok=True)
        (folder / "tenant.yaml").write_text("tenant: acme\n" + quality)
        (folder / "sources" / "CRM.yaml").write_text(SOURCE)
        return load_tenant(folder), Lakehouse(str(tmp_path / "lakehouse"), "acme")

    return make


def write_stitch(lakehouse: Lakehouse, name: str, table: pa.Table) -> None:
    """Commit one Stitch table and publish it with the others already published, as a run does."""
    versions = {**lakehouse.published("stitch"), name: lakehouse.write("stitch", name, table)}
    lakehouse.publish("stitch", versions, run_id=f"test-{name}")


def write(lakehouse: Lakehouse, records: list[dict], *, domain_rows: int | None = None) -> None:
    write_stitch(lakehouse, "Unified_Coalesced", pa.Table.from_pylist(records, schema=UC))
    rows = len(records) if domain_rows is None else domain_rows
    lakehouse.write("domain", "CRM_People", pa.table({"id": [str(i) for i in range(rows)]}))


def outcomes(tenant, lakehouse, *names):
    return {o.name: o for o in run_stitch_checks(tenant, lakehouse, names or None)}


def test_clean_run_passes_with_its_figures(acme):
    tenant, lakehouse = acme()
    # 10 records -> 7 people: A has 3 records, B 2, C..G one each.
    records = [record("A", "1", email="a@x.org"), record("A", "2", given="Annie"), record("A", "3"),
               record("B", "4", given="Bo"), record("B", "5", given="Bob")]  # fmt: skip
    records += [record(c, str(6 + i), given=c) for i, c in enumerate("CDEFG")]
    write(lakehouse, records)
    result = outcomes(tenant, lakehouse)
    assert [name for name, o in result.items() if not o.passed] == []
    assert result["dedupe_rate"].figures["dedupe_rate"] == 0.3
    assert "30.00% (10 records -> 7 Amperity IDs)" in result["dedupe_rate"].description
    assert result["cluster_sizes"].figures["buckets"] == {"1": 5, "2": 1, "3": 1, "4": 0, "5": 0, "6-10": 0, "11-20": 0, "21-63": 0, "64+": 0}
    assert result["one_id_per_record"].figures["input_records"] == 10
    assert not result["dedupe_rate_jump"].applicable and not result["id_stability"].applicable
    assert not result["blocking_coverage"].applicable


def test_failures_carry_figures_and_examples(acme):
    tenant, lakehouse = acme(
        "quality:\n  stitch:\n    supersized_min_size: 5\n    max_supersized_clusters: 0\n"
        "    values_per_id: {given_name: {more_than: 3, max_share: 10%}, phone: {more_than: 1, max_share: 0}}\n"
    )
    records = [record("A", str(i), given=name) for i, name in enumerate(["Ann", "ANN ", "Bea", "Cat", "Dee"])]  # 4 names
    records += [record("A", "5", given="TEST", blv=True)]  # a blocklisted value does not count
    records += [record("B", "6", phone="(206) 555-0100"), record("B", "7", phone="+1 206 555 0100"), record("B", "8", phone="2065550199")]
    records += [record(None, "9"), record("C", "10"), record("D", "10")]  # no ID; pk 10 twice
    write(lakehouse, records, domain_rows=12)
    result = outcomes(tenant, lakehouse)

    nulls = result["no_null_ids"]
    assert not nulls.passed and nulls.figures["null_amperity_ids"] == 1 and nulls.examples == [{"datasource": "CRM:People", "pk": "9"}]
    one = result["one_id_per_record"]
    assert not one.passed and one.figures["records_on_several_rows"] == 1 and one.figures["records_with_several_ids"] == 1
    assert one.figures["tables_not_matching_input"] == {"CRM:People": {"domain_rows": 12, "unified_coalesced_records": 11}}
    assert one.examples[0] == {"datasource": "CRM:People", "pk": "10", "rows": 2, "amperity_ids": 2}
    supersized = result["supersized_clusters"]
    assert not supersized.passed and supersized.examples == [{"amperity_id": "A", "size": 6}]
    names = result["ids_with_many_given_names"]  # A: ANN, BEA, CAT, DEE = 4 > 3; 1 of 4 IDs = 25% > 10%
    assert not names.passed and names.figures["ids_over_limit"] == 1 and names.figures["share"] == 0.25
    assert names.examples == [{"amperity_id": "A", "distinct_values": 4, "some_values": ["ANN", "BEA", "CAT", "DEE"]}]
    phones = result["ids_with_many_phones"]  # B: 2065550100 (twice, formatted differently), 2065550199
    assert not phones.passed and phones.figures["ids_over_limit"] == 1
    assert "1 of 4 Amperity IDs (25.00%) have more than 1 distinct phone values" in phones.description


def test_against_the_previous_run(acme):
    tenant, lakehouse = acme("quality:\n  stitch:\n    max_dedupe_rate_jump: 10%\n    max_share_ids_changed: 20%\n")
    write(lakehouse, [record("A", "1"), record("B", "2"), record("C", "3"), record("D", "4")])  # dedupe 0%
    write(lakehouse, [record("A", "1"), record("A", "2"), record("A", "3"), record("D", "4"), record("E", "5")], domain_rows=5)
    stamp, older = datetime(2026, 11, 29, 6), datetime(2026, 11, 28, 6)
    changes = [
        {"amperity_id": "A", "amperity_id_prev": "B", "datasource": "CRM:People", "pk": "2", "change_type": "updated", "job_id": "j2", "timestamp": stamp},
        {"amperity_id": "A", "amperity_id_prev": "C", "datasource": "CRM:People", "pk": "3", "change_type": "updated", "job_id": "j2", "timestamp": stamp},
        {"amperity_id": "E", "amperity_id_prev": None, "datasource": "CRM:People", "pk": "5", "change_type": "added", "job_id": "j2", "timestamp": stamp},
        {"amperity_id": "Z", "amperity_id_prev": "Y", "datasource": "CRM:People", "pk": "1", "change_type": "updated", "job_id": "j1", "timestamp": older},
    ]  # fmt: skip
    write_stitch(lakehouse, "Unified_Changes_Pks", pa.Table.from_pylist(changes, schema=CHANGES))
    result = outcomes(tenant, lakehouse, "dedupe_rate_jump", "id_stability")

    jump = result["dedupe_rate_jump"]  # 0% -> (5 - 3) / 5 = 40%
    assert not jump.passed and jump.figures["previous_dedupe_rate"] == 0.0 and jump.figures["jump"] == 0.4
    assert "moved 40.00 points, from 0.00% to 40.00%" in jump.description
    stable = result["id_stability"]  # 2 of the previous 4 records moved; the older job is not this run's
    assert not stable.passed and stable.figures["records_changed_id"] == 2 and stable.figures["previous_records"] == 4
    assert stable.figures["share_changed"] == 0.5 and stable.figures["added"] == 1
    assert stable.examples[0] == {"datasource": "CRM:People", "pk": "2", "amperity_id_prev": "B", "amperity_id": "A"}


def test_blocking_coverage(acme):
    tenant, lakehouse = acme()
    write(lakehouse, [record(c, str(i)) for i, c in enumerate("ABCDE")])
    keys = pa.table({
        "datasource": ["CRM:People"] * 5, "pk": ["0", "0", "1", "2", "3"], "strategy": ["email", "dnf1", "email", "email", "phone"],
        "bk": ["a", "b", "c", "d", "e"], "is_oversized": [True, False, False, True, True],
    })  # fmt: skip
    write_stitch(lakehouse, "Stitch_Blocking_Keys", keys)
    [coverage] = outcomes(tenant, lakehouse, "blocking_coverage").values()
    # Usable keys: records 0 and 1; 2 and 3 only have oversized keys; 4 has none.
    assert not coverage.passed and coverage.figures["coverage"] == 0.4 and coverage.figures["records_with_any_key"] == 4
    assert [e["pk"] for e in coverage.examples] == ["2", "3", "4"]

    deterministic, _ = acme("stitch:\n  matching: deterministic\n")
    [skipped] = outcomes(deterministic, lakehouse, "blocking_coverage").values()
    assert skipped.passed and not skipped.applicable and "deterministic" in skipped.description


def test_checks_follow_config_and_stitched_columns(acme):
    tenant, _ = acme("quality:\n  stitch:\n    values_per_id: {birthdate: null, surname: {more_than: 1, max_share: 1%}}\n")
    names = check_names(tenant.spec.quality.stitch, ["given_name", "email", "phone", "birthdate"])
    assert "ids_with_many_birthdates" not in names and "ids_with_many_surnames" not in names  # no surname column
    assert {"ids_with_many_given_names", "ids_with_many_emails", "dedupe_rate", "id_stability"} <= set(names)
    assert tenant.spec.quality.stitch.blocking == ["one_id_per_record", "no_null_ids", "supersized_clusters", "dedupe_rate"]


def test_checks_need_a_stitch_run(acme):
    tenant, lakehouse = acme()
    with pytest.raises(FileNotFoundError, match="run Stitch before its checks"):
        run_stitch_checks(tenant, lakehouse)
