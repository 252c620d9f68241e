-- Net revenue, orders and (approximate) distinct buyers per week and channel over the last
-- 8 weeks of data.
WITH as_of AS (
  SELECT MAX(order_datetime) AS as_of_datetime
  FROM Unified_Transactions
)
SELECT
  date_trunc('week', t.order_datetime) AS week_start,
  t.purchase_channel,
  COUNT(DISTINCT t.order_id) AS orders,
  approx_distinct(t.amperity_id) AS buyers,
  SUM(COALESCE(t.order_revenue, 0)) AS revenue,
  SUM(COALESCE(t.order_discount_amount, 0)) AS discounts
FROM Unified_Transactions AS t
CROSS JOIN as_of
WHERE t.order_datetime >= date_add('week', -8, as_of.as_of_datetime)
GROUP BY 1, 2
ORDER BY week_start, t.purchase_channel
