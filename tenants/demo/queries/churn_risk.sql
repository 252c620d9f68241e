-- Past buyers with no order in the 180 days before the latest order in the data, most
-- valuable first: the audience for the win-back campaign.
WITH as_of AS (
  SELECT MAX(order_datetime) AS as_of_datetime
  FROM Unified_Transactions
)
SELECT
  m.amperity_id,
  m.given_name,
  m.surname,
  m.email,
  m.phone,
  m.postal,
  ta.latest_order_datetime,
  date_diff('day', ta.latest_order_datetime, as_of.as_of_datetime) AS days_since_last_order,
  ta.lifetime_order_frequency,
  ta.lifetime_order_revenue
FROM Transaction_Attributes AS ta
CROSS JOIN as_of
INNER JOIN Merged_Customers AS m
  ON m.amperity_id = ta.amperity_id
WHERE ta.latest_order_datetime < date_add('day', -180, as_of.as_of_datetime)
  AND COALESCE(m.email, m.phone) IS NOT NULL
ORDER BY ta.lifetime_order_revenue DESC, m.amperity_id
