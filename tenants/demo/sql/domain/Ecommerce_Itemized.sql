-- One row per online order line, with the order header's datetime, account and discount
-- repeated on every line (the same shape as POS:Transactions), so both land in
-- Unified_Itemized_Transactions through the txn-item tags set in tenant.yaml.
SELECT
  l.order_id,
  l.line_number,
  o.account_id,
  o.order_datetime,
  l.product_id,
  l.quantity,
  l.unit_price,
  l.line_total AS item_revenue,
  COALESCE(l.is_return, FALSE) AS is_return,
  COALESCE(l.is_cancellation, FALSE) AS is_cancellation,
  COALESCE(o.discount_amount, CAST(0 AS DECIMAL(38, 2))) AS order_discount_amount,
  l.brand,
  o.channel,
  LOWER(o.device) AS digital_channel,
  'WEB' AS store_id,
  UPPER(o.currency) AS currency,
  o.payment_method,
  o.shipping_amount
FROM `Ecommerce:OrderLines` AS l
INNER JOIN `Ecommerce:Orders` AS o
  ON o.order_id = l.order_id
