-- The 100 customers with the highest lifetime order revenue, with their best contact details.
SELECT
  c.amperity_id,
  c.given_name,
  c.surname,
  c.email,
  c.city,
  c.state,
  ta.lifetime_order_revenue,
  ta.lifetime_order_frequency,
  ROUND(ta.lifetime_order_revenue / NULLIF(ta.lifetime_order_frequency, 0), 2) AS average_order_value,
  ta.first_order_datetime,
  ta.latest_order_datetime
FROM Transaction_Attributes AS ta
INNER JOIN Customer_360 AS c
  ON c.amperity_id = ta.amperity_id
ORDER BY ta.lifetime_order_revenue DESC, c.amperity_id
LIMIT 100
