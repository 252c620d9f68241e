"""Unified Itemized Transactions, Unified Transactions, Transaction Attributes and Customer 360
on one hand-made order history."""

from datetime import datetime
from decimal import Decimal

import pytest
from c360_helpers import by_id, unified_coalesced

from amperity_pipelines.c360 import (
    UIT_COLUMNS,
    TxnSource,
    customer_360,
    merged_customers,
    transaction_attributes,
    unified_itemized_transactions,
    unified_transactions,
)
from amperity_pipelines.c360.transaction_attributes import milestone_columns
from amperity_pipelines.engines.sql_templates import render

UC_ROWS = [
    {"amperity_id": "A", "datasource": "pos", "pk": "1", "given_name": "Ann", "fk_pos_customer": "C1"},
    {"amperity_id": "A", "datasource": "crm", "pk": "1", "fk_pos_customer": "c1"},
    {"amperity_id": "A", "datasource": "web", "pk": "1", "fk_web_user": "W1"},
    {"amperity_id": "B", "datasource": "pos", "pk": "2", "given_name": "Bob", "fk_pos_customer": "C2"},
    {"amperity_id": "C", "datasource": "pos", "pk": "3", "fk_pos_customer": "C3"},
    {"amperity_id": "D", "datasource": "pos", "pk": "4", "given_name": "Dee", "fk_pos_customer": "C3"},
    {"amperity_id": "E", "datasource": "pos", "pk": "5", "fk_pos_customer": "C5"},
    {"amperity_id": "F", "datasource": "pos", "pk": "6", "given_name": "Fay"},
]

# txn_id, ts, sku, qty, amount, returned, canceled, discount, brand, channel, cust_id, tier
POS_LINES = [
    ("O1", "2024-01-01 10:00", "P1", 2, "20.00", False, False, "5.00", "B1", "store", "c1 ", "gold"),
    ("O1", "2024-01-01 10:00", "P2", 1, "15.00", False, False, "5.00", "B1", "store", "C1", "gold"),
    ("O3", "2024-06-01 09:00", "P1", 3, "30.00", False, False, None, "B1", "store", "C1", None),
    ("O3", "2024-06-01 09:00", "P4", 1, "10.00", False, True, None, "B1", "store", "C1", None),
    ("O4", "2024-07-01 09:00", "P1", -1, "-10.00", True, False, None, "B1", "store", "C1", None),
    ("O5", "2024-03-01 12:00", "P9", 1, "99.99", False, False, None, "B3", "store", "C2", None),
    ("O6", "2024-01-01 12:00", "P9", 1, "10.00", False, False, None, "B3", "store", "C5", None),
    ("O7", "2024-05-01 12:00", "P9", 1, "10.00", None, None, None, "B3", "store", "C5", None),
    ("O8", "2024-02-01 12:00", "P9", 1, "12.00", False, False, None, "B3", "store", "C3", None),  # C3: two IDs
    ("O9", "2024-02-01 12:00", "P9", 1, "13.00", False, False, None, "B3", "store", "C404", None),
    ("O10", "2024-02-01 12:00", "P9", 1, "14.00", False, False, None, "B3", "store", None, None),
]
WEB_LINES = [
    ("O2", "2024-02-15 08:00:00", "P3", 1, 50.0, "w1"),
    ("O2", "2024-02-15 08:00:00", "P3", -1, -50.0, "w1"),
]

POS = TxnSource(
    table="pos_lines",
    datasource="pos",
    columns={
        "order_id": "txn_id",
        "order_datetime": "ts",
        "product_id": "sku",
        "item_quantity": "qty",
        "item_revenue": "amount",
        "is_return": "returned",
        "is_cancellation": "canceled",
        "order_discount_amount": "discount",
        "purchase_brand": "brand",
        "purchase_channel": "channel",
        "loyalty_tier": "tier",
    },
    fk_column="cust_id",
    unified_fk="fk_pos_customer",
)
WEB = TxnSource.from_tags(
    "web_lines",
    "web",
    {
        "order_no": ["txn-item/order-id"],
        "ordered_at": ["txn-item/order-datetime"],
        "product": ["txn-item/product-id"],
        "quantity": ["txn-item/item-quantity"],
        "revenue": ["txn-item/item-revenue"],
        "web_user": ["txn-item/fk-web-user"],
        "note": [],
    },
)


@pytest.fixture
def history(con):
    unified_coalesced(con, UC_ROWS, fks=("fk_pos_customer", "fk_web_user"))
    con.execute(
        "CREATE TABLE pos_lines (txn_id VARCHAR, ts VARCHAR, sku VARCHAR, qty INTEGER, amount VARCHAR,"
        " returned BOOLEAN, canceled BOOLEAN, discount VARCHAR, brand VARCHAR, channel VARCHAR, cust_id VARCHAR,"
        " tier VARCHAR)"
    )
    con.executemany("INSERT INTO pos_lines VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", POS_LINES)
    con.execute(
        "CREATE TABLE web_lines (order_no VARCHAR, ordered_at TIMESTAMP, product VARCHAR, quantity BIGINT,"
        " revenue DOUBLE, web_user VARCHAR)"
    )
    con.executemany("INSERT INTO web_lines VALUES (?, ?, ?, ?, ?, ?)", WEB_LINES)
    # web returns are flagged by negative quantities in this source's SQL, as a domain table would
    con.execute("CREATE VIEW web_domain AS SELECT *, quantity < 0 AS is_ret FROM web_lines")
    web = TxnSource(
        table="web_domain", datasource="web", columns={**WEB.columns, "is_return": "is_ret"},
        fk_column=WEB.fk_column, unified_fk=WEB.unified_fk,
    )  # fmt: skip
    unified_itemized_transactions(con, [POS, web]).to_table("uit")
    unified_transactions(con, "uit").to_table("ut")
    transaction_attributes(con, "ut").to_table("ta")
    return con


def test_from_tags():
    assert (WEB.fk_column, WEB.unified_fk) == ("web_user", "fk_web_user")
    assert WEB.columns == {
        "order_id": "order_no", "order_datetime": "ordered_at", "product_id": "product",
        "item_quantity": "quantity", "item_revenue": "revenue",
    }  # fmt: skip
    with pytest.raises(ValueError, match="exactly one"):
        TxnSource.from_tags("t", "pos", {"id": ["txn-item/order-id"]})
    with pytest.raises(ValueError, match="exactly one"):
        TxnSource.from_tags("t", "pos", {"id": ["txn-item/order-id"], "a": ["txn-item/fk-a"], "b": ["txn-item/fk-b"]})


def test_uit_resolves_amperity_ids_through_unambiguous_fks(history):
    rows = history.sql("SELECT order_id, amperity_id, customer_id FROM uit").fetchall()
    owners = {}
    for order_id, amperity_id, _ in rows:
        owners.setdefault(order_id, set()).add(amperity_id)
    assert owners == {
        "O1": {"A"}, "O2": {"A"}, "O3": {"A"}, "O4": {"A"}, "O5": {"B"}, "O6": {"E"}, "O7": {"E"},
        "O8": {None},  # C3 belongs to C and D
        "O9": {None},  # unknown FK
        "O10": {None},  # no FK
    }  # fmt: skip
    assert history.sql("SELECT COUNT(*) FROM uit").fetchone()[0] == len(POS_LINES) + len(WEB_LINES)
    assert ("O1", "A", "c1 ") in rows  # customer_id defaults to the raw FK value


def test_uit_columns_types_and_custom_attributes(history):
    relation = history.table("uit")
    assert relation.columns == ["amperity_id", "datasource", *(c for c, _ in UIT_COLUMNS), "loyalty_tier"]
    types = dict(zip(relation.columns, (str(t) for t in relation.types), strict=True))
    assert types["item_revenue"] == "DECIMAL(38,2)" and types["order_datetime"] == "TIMESTAMP"
    assert types["item_quantity"] == "BIGINT" and types["is_return"] == "BOOLEAN"
    web = history.sql(
        "SELECT store_id, loyalty_tier, is_cancellation, item_revenue FROM uit WHERE datasource = 'web'"
    ).fetchall()
    assert web == [(None, None, None, Decimal("50.00")), (None, None, None, Decimal("-50.00"))]


def test_uit_refuses_an_fk_unified_coalesced_lacks(con):
    unified_coalesced(con, UC_ROWS, fks=("fk_pos_customer",))
    with pytest.raises(ValueError, match="fk_web_user"):
        unified_itemized_transactions(con, [WEB])


def test_unified_transactions(history):
    orders = {row["order_id"]: row for row in history.sql("SELECT * FROM ut").to_arrow_table().to_pylist()}
    o1, o2, o3, o4 = orders["O1"], orders["O2"], orders["O3"], orders["O4"]
    assert (o1["amperity_id"], o1["order_datetime"]) == ("A", datetime(2024, 1, 1, 10))
    assert (o1["order_revenue"], o1["order_quantity"]) == (Decimal("35.00"), 3)
    assert o1["order_discount_amount"] == Decimal("5.00")  # order-level, not summed over lines
    assert o1["order_discount_percent"] == Decimal("12.50")  # 5 / (35 + 5)
    assert (o1["purchase_brand"], o1["purchase_channel"], o1["net_order_revenue"]) == ("B1", "store", Decimal("35.00"))
    assert (o2["order_revenue"], o2["order_returned_quantity"], o2["order_returned_revenue"]) == (
        Decimal("50.00"), 1, Decimal("50.00"),
    )  # fmt: skip
    assert o2["net_order_revenue"] == 0
    assert (o3["order_revenue"], o3["order_quantity"]) == (Decimal("30.00"), 3)
    assert (o3["order_canceled_quantity"], o3["order_canceled_revenue"], o3["net_order_revenue"]) == (
        1, Decimal("10.00"), Decimal("20.00"),
    )  # fmt: skip
    assert (o4["order_revenue"], o4["order_quantity"], o4["order_returned_revenue"], o4["net_order_revenue"]) == (
        0, 0, Decimal("10.00"), Decimal("-10.00"),
    )  # fmt: skip
    assert orders["O8"]["amperity_id"] is None  # kept, without an owner
    assert len(orders) == 10


def test_transaction_attributes(history):
    ta = by_id(history.table("ta"))
    assert set(ta) == {"A", "B", "E"}  # unowned orders do not count
    a = ta["A"]
    assert (a["first_order_id"], a["first_order_datetime"], a["first_order_revenue"]) == (
        "O1", datetime(2024, 1, 1, 10), Decimal("35.00"),
    )  # fmt: skip
    assert (a["first_order_total_items"], a["first_order_is_retained"]) == (3, True)
    assert (a["second_order_id"], a["second_order_revenue"], a["second_order_is_retained"]) == (
        "O2",
        Decimal("50.00"),
        False,
    )
    assert (a["latest_order_id"], a["latest_order_datetime"]) == ("O3", datetime(2024, 6, 1, 9))  # O4 is a pure return
    assert a["lifetime_order_revenue"] == Decimal("115.00")
    assert (a["lifetime_order_frequency"], a["lifetime_total_items"]) == (3, 7)
    assert a["lifetime_average_order_value"] == Decimal("38.33")
    assert a["lifetime_largest_order_value"] == Decimal("50.00")
    assert a["lifetime_average_item_price"] == Decimal("16.43")
    assert a["lifetime_average_num_items"] == Decimal("2.33")
    assert (a["lifetime_preferred_purchase_brand"], a["lifetime_preferred_purchase_channel"]) == ("B1", "store")
    assert (a["multi_purchase_brand"], a["multi_purchase_channel"]) == (False, False)  # web lines carry no brand
    assert (a["one_and_done"], a["early_repeat_purchaser"]) == (False, True)  # O2 45 days after O1
    b = ta["B"]
    assert (b["one_and_done"], b["early_repeat_purchaser"], b["second_order_id"]) == (True, False, None)
    e = ta["E"]
    assert (e["lifetime_order_frequency"], e["early_repeat_purchaser"]) == (2, False)  # 121 days apart


def test_multi_purchase_and_preferred_ties(con):
    con.execute(
        """
        CREATE TABLE ut AS SELECT * FROM (VALUES
          ('A', 'o1', TIMESTAMP '2024-01-01', 10.00, 1, 'Zeta', 'web', 0, 0),
          ('A', 'o2', TIMESTAMP '2024-01-02', 30.00, 1, 'Alpha', 'store', 0, 0),
          ('A', 'o3', TIMESTAMP '2024-01-03', 20.00, 1, 'Zeta', 'store', 0, 0),
          ('A', 'o4', TIMESTAMP '2024-01-04', 40.00, 1, 'Alpha', 'web', 0, 0)
        ) t(amperity_id, order_id, order_datetime, order_revenue, order_quantity, purchase_brand, purchase_channel,
            order_returned_quantity, order_canceled_quantity)
        """
    )
    a = by_id(transaction_attributes(con, "ut"))["A"]
    # two orders each; Alpha has more revenue. web/store tie on orders and revenue: alphabetical.
    assert (a["lifetime_preferred_purchase_brand"], a["lifetime_preferred_purchase_channel"]) == ("Alpha", "store")
    assert (a["multi_purchase_brand"], a["multi_purchase_channel"]) == (True, True)


def test_customer_360(history):
    merged = merged_customers(history, "unified_coalesced", source_priority={"pos": 1}, field_priority={})
    merged.to_table("merged")
    c360 = customer_360(history, "merged", "ta")
    assert c360.columns[:11] == [
        "amperity_id", "given_name", "surname", "email", "phone", "address", "city", "state", "postal",
        "birthdate", "gender",
    ]  # fmt: skip
    assert "lifetime_order_revenue" in c360.columns and c360.columns.count("amperity_id") == 1
    rows = by_id(c360)
    assert set(rows) == {"A", "B", "C", "D", "E", "F"}
    assert (rows["A"]["given_name"], rows["A"]["lifetime_order_frequency"]) == ("Ann", 3)
    assert (rows["F"]["given_name"], rows["F"]["lifetime_order_revenue"]) == ("Fay", None)


def test_milestone_golden():
    first = [render(c) for c in milestone_columns()[:2]]
    assert first == [
        "MAX(order_datetime) FILTER(WHERE seq = 1) AS first_order_datetime",
        "MAX(order_id) FILTER(WHERE seq = 1) AS first_order_id",
    ]
