-- Value tier and revenue decile per Amperity ID, for the loyalty and marketing teams.
-- Tier cut-offs are in USD of lifetime net order revenue.
SELECT
  ta.amperity_id,
  ta.lifetime_order_revenue,
  ta.lifetime_order_frequency,
  ta.first_order_datetime,
  ta.latest_order_datetime,
  CASE
    WHEN ta.lifetime_order_revenue >= 1000 THEN 'Platinum'
    WHEN ta.lifetime_order_revenue >= 500 THEN 'Gold'
    WHEN ta.lifetime_order_revenue >= 150 THEN 'Silver'
    ELSE 'Bronze'
  END AS value_tier,
  NTILE(10) OVER (ORDER BY ta.lifetime_order_revenue DESC, ta.amperity_id) AS revenue_decile,
  ta.lifetime_order_frequency >= 2 AS is_repeat_buyer
FROM Transaction_Attributes AS ta
WHERE ta.lifetime_order_frequency > 0
