"""The demo tenant folder (tenants/demo) is valid config: YAML against the models, SQL parses,
names refer to things that exist, and the transaction tables carry the required txn-item tags."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlglot
import yaml
from sqlglot import exp

from amperity_pipelines.config.models import SourceSpec, TenantSpec

TENANT = Path(__file__).resolve().parents[2] / "tenants" / "demo"
SOURCE_FILES = sorted((TENANT / "sources").glob("*.yaml"))
QUERY_FILES = sorted((TENANT / "queries").glob("*.sql"))
STANDARD_TABLES = {
    "Unified_Coalesced", "Merged_Customers", "Unified_Transactions", "Unified_Itemized_Transactions",
    "Transaction_Attributes", "Customer_360",
}
STITCH_TABLES = {
    "Unified_Coalesced", "Unified_Changes_Pks", "Unified_Changes_Clusters", "Unified_Scores",
    "Unified_Preprocessed_Raw", "Stitch_Blocking_Keys", "Stitch_Bad_Values",
}
REQUIRED_TXN_TAGS = {
    "order-id", "order-datetime", "product-id", "item-quantity", "item-revenue", "is-return",
    "is-cancellation", "order-discount-amount", "purchase-brand", "purchase-channel", "store-id",
}


def _tenant() -> TenantSpec:
    return TenantSpec.model_validate(yaml.safe_load((TENANT / "tenant.yaml").read_text()))


def _sources() -> list[SourceSpec]:
    return [SourceSpec.model_validate(yaml.safe_load(path.read_text())) for path in SOURCE_FILES]


def _tables_read(sql: str, dialect: str) -> set[str]:
    tree = sqlglot.parse_one(sql, read=dialect)
    ctes = {cte.alias_or_name for cte in tree.find_all(exp.CTE)}
    return {t.name for t in tree.find_all(exp.Table) if t.name not in ctes}


def test_there_are_four_sources_and_several_queries():
    assert {s.source for s in _sources()} == {"POS", "Ecommerce", "Loyalty", "ESP"}
    assert len(QUERY_FILES) >= 5


@pytest.mark.parametrize("path", SOURCE_FILES, ids=lambda p: p.name)
def test_source_yaml_validates(path: Path):
    source = SourceSpec.model_validate(yaml.safe_load(path.read_text()))
    assert source.source == path.stem
    feeds = {f.name for f in source.feeds}
    for courier in source.couriers:
        assert not Path(courier.location.path).is_absolute()
        assert {f.feed for f in courier.files} <= feeds
    for feed in source.feeds:
        assert feed.primary_key, f"{feed.name} has no primary key"
        assert feed.last_updated, f"{feed.name} has no last_updated field"
        for field in feed.fields:
            if field.type in ("Date", "Datetime"):
                assert field.format, f"{feed.name}.{field.name} needs an explicit Joda format"


def test_tenant_yaml_validates_and_refers_to_existing_things():
    tenant = _tenant()
    sources = _sources()
    couriers = {c.name for s in sources for c in s.couriers}
    domain_tables = {f"{s.source}:{f.name}" for s in sources for f in s.feeds}
    queries = {p.stem for p in QUERY_FILES}

    assert tenant.tenant == "demo"
    for group in tenant.courier_groups:
        assert set(group.couriers) <= couriers
    daily = next(g for g in tenant.courier_groups if g.name == "Daily")
    assert set(daily.couriers) == couriers
    assert (daily.cron, daily.timezone, daily.run_type) == ("0 6 * * *", "America/Los_Angeles", "Full")
    assert set(tenant.stitch.tables or []) <= domain_tables
    stitched = {f"{s.source}:{f.name}" for s in sources for f in s.feeds if f.stitch}
    assert set(tenant.stitch.tables) == stitched

    database = tenant.databases[0]
    assert database.source_priority == {"Loyalty": 1, "POS": 2, "Ecommerce": 3, "ESP": 4}
    assert set(database.source_priority) == {s.source for s in sources}

    destinations = {d.name for d in tenant.destinations}
    templates = {t.name for t in tenant.data_templates}
    groups = {g.name for g in tenant.courier_groups}
    tables = {f"{database.name}.{t}" for t in STANDARD_TABLES | {t.name for t in database.tables}}
    for orchestration in tenant.orchestrations:
        assert orchestration.destination in destinations
        assert orchestration.template is None or orchestration.template in templates
        assert orchestration.courier_group is None or orchestration.courier_group in groups
        assert orchestration.query is None or orchestration.query in queries
        assert orchestration.database_table is None or orchestration.database_table in tables
    assert {o.trigger for o in tenant.orchestrations} >= {"after_courier_group", "cron"}


def test_custom_domain_tables_parse_read_known_tables_and_tag_real_columns():
    tenant = _tenant()
    domain_tables = {f"{s.source}:{f.name}" for s in _sources() for f in s.feeds}
    assert tenant.custom_domain_tables
    for table in tenant.custom_domain_tables:
        sql = (TENANT / table.sql).read_text()
        tree = sqlglot.parse_one(sql, read="spark")
        assert _tables_read(sql, "spark") <= domain_tables
        columns = set(tree.named_selects)
        assert set(table.tags) <= columns, set(table.tags) - columns
        assert set(table.primary_key) <= columns


def test_database_tables_parse_and_read_known_tables():
    for database in _tenant().databases:
        for table in database.tables:
            sql = (TENANT / table.sql).read_text()
            assert _tables_read(sql, "spark") <= STANDARD_TABLES


@pytest.mark.parametrize("path", QUERY_FILES, ids=lambda p: p.stem)
def test_query_parses_as_presto_and_reads_known_tables(path: Path):
    sql = path.read_text()
    sqlglot.parse_one(sql, read="trino")
    domain_tables = {f"{s.source}:{f.name}" for s in _sources() for f in s.feeds}
    custom = {t.name for d in _tenant().databases for t in d.tables}
    assert _tables_read(sql, "trino") <= STANDARD_TABLES | STITCH_TABLES | domain_tables | custom
    assert "format_datetime" not in sql.lower() and "map_agg" not in sql.lower()


def _txn_tags(tags_by_column: dict[str, list[str]]) -> set[str]:
    return {t.removeprefix("txn-item/") for tags in tags_by_column.values() for t in tags if t.startswith("txn-item/")}


def test_transaction_tables_carry_the_required_txn_item_tags():
    pos = next(s for s in _sources() if s.source == "POS")
    transactions = next(f for f in pos.feeds if f.name == "Transactions")
    itemized = next(t for t in _tenant().custom_domain_tables if t.name == "Ecommerce_Itemized")
    for tags in (_txn_tags({f.name: f.tags for f in transactions.fields}), _txn_tags(itemized.tags)):
        assert REQUIRED_TXN_TAGS <= tags, REQUIRED_TXN_TAGS - tags
        assert len([t for t in tags if t.startswith("fk-")]) == 1


def test_loader_accepts_the_demo_tenant():
    tenant_check = pytest.importorskip("amperity_pipelines.tenant_check", exc_type=ImportError)
    tenant = tenant_check.load_tenant(TENANT)
    assert {t.name for t in tenant.stitched_tables()} == set(_tenant().stitch.tables)
