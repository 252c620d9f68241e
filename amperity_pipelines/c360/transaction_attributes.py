"""Transaction Attributes: one row per Amperity ID summarising its purchase history.

Orders count when they bought something (order_quantity > 0 or order_revenue > 0); pure returns
and fully canceled orders do not. Orders are sequenced by order_datetime, then order_id.
Revenue figures use order_revenue (purchases, before returns and cancellations).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlglot import exp

from amperity_pipelines.engines.sql_templates import column, fill, render, table

if TYPE_CHECKING:
    import duckdb

EARLY_REPEAT_DAYS = 90

_ORDERS = """
SELECT
  amperity_id, order_id, order_datetime, order_revenue, order_quantity, purchase_brand, purchase_channel,
  order_returned_quantity + order_canceled_quantity < order_quantity AS is_retained,
  ROW_NUMBER() OVER (PARTITION BY amperity_id ORDER BY order_datetime, order_id) AS seq,
  ROW_NUMBER() OVER (PARTITION BY amperity_id ORDER BY order_datetime DESC, order_id DESC) AS seq_desc
FROM $ut
WHERE amperity_id IS NOT NULL AND (order_quantity > 0 OR order_revenue > 0)
"""

_SUMMARY = """
SELECT
  amperity_id,
  $milestones,
  SUM(order_revenue) AS lifetime_order_revenue,
  COUNT(*) AS lifetime_order_frequency,
  SUM(order_quantity) AS lifetime_total_items,
  CAST(SUM(order_revenue) / COUNT(*) AS DECIMAL(38, 2)) AS lifetime_average_order_value,
  MAX(order_revenue) AS lifetime_largest_order_value,
  CAST(SUM(order_revenue) / NULLIF(SUM(order_quantity), 0) AS DECIMAL(38, 2)) AS lifetime_average_item_price,
  CAST(SUM(order_quantity) / COUNT(*) AS DECIMAL(38, 2)) AS lifetime_average_num_items,
  COUNT(DISTINCT purchase_brand) > 1 AS multi_purchase_brand,
  COUNT(DISTINCT purchase_channel) > 1 AS multi_purchase_channel,
  COUNT(*) = 1 AS one_and_done,
  COALESCE(
    MAX(order_datetime) FILTER (WHERE seq = 2) <= MAX(order_datetime) FILTER (WHERE seq = 1) + INTERVAL $days DAY,
    FALSE
  ) AS early_repeat_purchaser
FROM orders
GROUP BY amperity_id
"""

_PREFERRED = """
SELECT amperity_id, $value AS preferred
FROM (
  SELECT amperity_id, $value, COUNT(*) AS order_count, SUM(order_revenue) AS revenue
  FROM orders WHERE $value IS NOT NULL
  GROUP BY amperity_id, $value
)
QUALIFY ROW_NUMBER() OVER (PARTITION BY amperity_id ORDER BY order_count DESC, revenue DESC, $value) = 1
"""

_FINAL = """
WITH
  orders AS ($orders),
  summary AS ($summary),
  brand AS ($brand),
  channel AS ($channel)
SELECT
  s.*,
  brand.preferred AS lifetime_preferred_purchase_brand,
  channel.preferred AS lifetime_preferred_purchase_channel
FROM summary AS s
LEFT JOIN brand ON brand.amperity_id = s.amperity_id
LEFT JOIN channel ON channel.amperity_id = s.amperity_id
"""

# (prefix, sequence column, position, with is_retained): each milestone gives
# <prefix>_order_datetime, _id, _revenue, _total_items and, for first and second, _is_retained.
_MILESTONES: tuple[tuple[str, str, int, bool], ...] = (
    ("first", "seq", 1, True),
    ("second", "seq", 2, True),
    ("latest", "seq_desc", 1, False),
)
_MILESTONE_FIELDS = (
    ("order_datetime", "datetime"),
    ("order_id", "id"),
    ("order_revenue", "revenue"),
    ("order_quantity", "total_items"),
)


def milestone_columns() -> list[exp.Expression]:
    """first_/second_/latest_order_{datetime,id,revenue,total_items} and first_/second_order_is_retained."""
    columns = []
    for prefix, sequence, position, retained in _MILESTONES:
        fields = _MILESTONE_FIELDS + ((("is_retained", "is_retained"),) if retained else ())
        columns += [
            fill("MAX($c) FILTER (WHERE $seq = $n)", c=column(source), seq=column(sequence), n=position).as_(
                f"{prefix}_order_{suffix}"
            )
            for source, suffix in fields
        ]
    return columns


def transaction_attributes_query(ut: str) -> exp.Expression:
    """Transaction Attributes from the Unified Transactions table or view `ut`."""
    return fill(
        _FINAL,
        orders=fill(_ORDERS, ut=table(ut)),
        summary=fill(_SUMMARY, milestones=milestone_columns(), days=EARLY_REPEAT_DAYS),
        brand=fill(_PREFERRED, value=column("purchase_brand")),
        channel=fill(_PREFERRED, value=column("purchase_channel")),
    )


def transaction_attributes(con: duckdb.DuckDBPyConnection, ut: str) -> duckdb.DuckDBPyRelation:
    return con.sql(render(transaction_attributes_query(ut)))
