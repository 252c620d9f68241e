-- Customers with an email address and at least one order in the 365 days before the latest
-- order in the data (anchored on the data, not on the clock, so replays give the same answer).
WITH as_of AS (
  SELECT MAX(order_datetime) AS as_of_datetime
  FROM Unified_Transactions
),
recent AS (
  SELECT
    t.amperity_id,
    MAX(t.order_datetime) AS latest_order_datetime,
    COUNT(DISTINCT t.order_id) AS orders_365d,
    SUM(t.order_revenue) AS revenue_365d
  FROM Unified_Transactions AS t
  CROSS JOIN as_of
  WHERE t.order_datetime >= date_add('day', -365, as_of.as_of_datetime)
  GROUP BY t.amperity_id
)
SELECT
  m.amperity_id,
  LOWER(TRIM(m.email)) AS email,
  m.given_name,
  m.surname,
  r.latest_order_datetime,
  r.orders_365d,
  r.revenue_365d
FROM Merged_Customers AS m
INNER JOIN recent AS r
  ON r.amperity_id = m.amperity_id
WHERE m.email IS NOT NULL
  AND strpos(m.email, '@') > 1
ORDER BY r.revenue_365d DESC, m.amperity_id
