"""The catalogue of standard tables is consistent with itself and with the Stitch engine."""

from __future__ import annotations

from amperity_pipelines.config.standard_tables import (
    C360_TABLES,
    INPUT_ROLES,
    STANDARD_TABLES,
    STITCH_TABLES,
    stitch_inputs,
    written_tables,
)
from amperity_pipelines.stitch import StitchResult


def test_every_input_is_a_standard_table_made_before_or_a_tenant_role():
    made: set[str] = set()
    for table in STANDARD_TABLES:
        for upstream in table.inputs:
            assert upstream in made or upstream in INPUT_ROLES, (table.name, upstream)
        made.add(table.name)


def test_stitch_tables_name_their_engine_result_and_c360_tables_do_not():
    for table in STANDARD_TABLES:
        if table.layer == "stitch":
            assert table.result_key in StitchResult.TABLES, table.name
        else:
            assert table.result_key is None and table.matchings == ("probabilistic", "deterministic"), table.name
    assert len(STITCH_TABLES) == 7 and len(C360_TABLES) == 5


def test_storage_names():
    [scores] = [t for t in STANDARD_TABLES if t.name == "Unified_Scores"]
    [merged] = [t for t in STANDARD_TABLES if t.name == "Merged_Customers"]
    assert scores.storage_name("Customer_360") == "Unified_Scores"
    assert merged.storage_name("Customer_360") == "Customer_360__Merged_Customers"


def test_what_each_matching_writes():
    deterministic = [t.name for t in written_tables("deterministic") if t.layer == "stitch"]
    assert deterministic == ["Stitch_Bad_Values", "Unified_Coalesced", "Unified_Changes_Pks"]
    assert [t.name for t in written_tables("probabilistic")] == [t.name for t in STANDARD_TABLES]
    assert written_tables(None) == ()


def test_lineage_skips_the_tables_a_matching_does_not_write():
    assert stitch_inputs("Unified_Coalesced", "probabilistic") == ("Unified_Scores",)
    assert stitch_inputs("Unified_Coalesced", "deterministic") == ("domain", "Stitch_Bad_Values", "labels")
    assert stitch_inputs("Stitch_Bad_Values", "deterministic") == ("domain", "blocklist")
