"""Unified Transactions: one row per order (amperity_id, order_id) rolled up from its lines.

Line conventions: a return or a cancellation is a line of its own flagged is_return or
is_cancellation (its quantity and revenue may be negative; magnitudes are used). A line flagged
both counts as a return. Every other line is a purchase. Order-level amounts repeated on each
line (order_discount_amount, order_shipping_amount) are taken once (MAX), never summed.
Lines without an Amperity ID roll up into orders with a NULL amperity_id.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlglot import exp

from amperity_pipelines.engines.sql_templates import fill, render, table

if TYPE_CHECKING:
    import duckdb

_ROLLUP = """
SELECT
  amperity_id,
  order_id,
  MIN(order_datetime) AS order_datetime,
  MIN(datasource) AS datasource,
  MIN(customer_id) AS customer_id,
  MIN(purchase_brand) AS purchase_brand,
  MIN(purchase_channel) AS purchase_channel,
  MIN(digital_channel) AS digital_channel,
  MIN(store_id) AS store_id,
  MIN(currency) AS currency,
  MIN(payment_method) AS payment_method,
  COALESCE(SUM(item_revenue) FILTER (WHERE kind = 'purchase'), 0) AS order_revenue,
  COALESCE(SUM(item_quantity) FILTER (WHERE kind = 'purchase'), 0) AS order_quantity,
  MAX(order_discount_amount) AS order_discount_amount,
  SUM(item_list_price) FILTER (WHERE kind = 'purchase') AS order_list_price,
  SUM(item_cost) FILTER (WHERE kind = 'purchase') AS order_cost,
  SUM(item_profit) FILTER (WHERE kind = 'purchase') AS order_profit,
  SUM(item_subtotal) FILTER (WHERE kind = 'purchase') AS order_subtotal,
  SUM(item_tax_amount) FILTER (WHERE kind = 'purchase') AS order_tax_amount,
  MAX(order_shipping_amount) AS order_shipping_amount,
  COALESCE(SUM(ABS(item_quantity)) FILTER (WHERE kind = 'return'), 0) AS order_returned_quantity,
  COALESCE(SUM(ABS(item_revenue)) FILTER (WHERE kind = 'return'), 0) AS order_returned_revenue,
  COALESCE(SUM(ABS(item_quantity)) FILTER (WHERE kind = 'cancellation'), 0) AS order_canceled_quantity,
  COALESCE(SUM(ABS(item_revenue)) FILTER (WHERE kind = 'cancellation'), 0) AS order_canceled_revenue,
  SUM(item_discount_amount) FILTER (WHERE kind = 'purchase') AS sum_item_discount_amount
FROM (
  SELECT *,
    CASE
      WHEN COALESCE(is_return, FALSE) THEN 'return'
      WHEN COALESCE(is_cancellation, FALSE) THEN 'cancellation'
      ELSE 'purchase'
    END AS kind
  FROM $uit
)
GROUP BY amperity_id, order_id
"""

_DERIVED = """
SELECT
  *,
  CAST(100 * order_discount_amount / NULLIF(order_revenue + order_discount_amount, 0) AS DECIMAL(38, 2))
    AS order_discount_percent,
  order_revenue - order_returned_revenue - order_canceled_revenue AS net_order_revenue
FROM ($orders)
"""


def unified_transactions_query(uit: str) -> exp.Expression:
    """Orders from the Unified Itemized Transactions table or view `uit`.

    order_discount_percent is the order discount as a share of the pre-discount amount
    (order_revenue + order_discount_amount), in percent.
    """
    return fill(_DERIVED, orders=fill(_ROLLUP, uit=table(uit)))


def unified_transactions(con: duckdb.DuckDBPyConnection, uit: str) -> duckdb.DuckDBPyRelation:
    return con.sql(render(unified_transactions_query(uit)))
