-- Stitch QA: profile values found in more than one Amperity ID, per semantic. Values are the
-- preprocessed ones (Unified_Preprocessed_Raw), so formatting differences do not count. A value
-- in a handful of IDs is often a household or a missed match (see stitch_qa_split_clusters); a
-- value in many IDs is a placeholder or shared value worth adding to the bad-values blocklist.
-- The foreign keys are the demo tenant's (fk-pos-customer, fk-ecom-account).
WITH record_values AS (
  SELECT 'email' AS semantic, email AS value, amperity_id, datasource
  FROM Unified_Preprocessed_Raw WHERE email IS NOT NULL
  UNION ALL
  SELECT 'phone', phone, amperity_id, datasource
  FROM Unified_Preprocessed_Raw WHERE phone IS NOT NULL
  UNION ALL
  SELECT 'address', TRIM(CONCAT(address, ' ', COALESCE(postal, ''))), amperity_id, datasource
  FROM Unified_Preprocessed_Raw WHERE address IS NOT NULL
  UNION ALL
  SELECT 'fk_pos_customer', fk_pos_customer, amperity_id, datasource
  FROM Unified_Preprocessed_Raw WHERE fk_pos_customer IS NOT NULL
  UNION ALL
  SELECT 'fk_ecom_account', fk_ecom_account, amperity_id, datasource
  FROM Unified_Preprocessed_Raw WHERE fk_ecom_account IS NOT NULL
)
SELECT
  semantic,
  value,
  COUNT(DISTINCT amperity_id) AS amperity_ids,
  COUNT(*) AS records,
  COUNT(DISTINCT datasource) AS datasources
FROM record_values
GROUP BY semantic, value
HAVING COUNT(DISTINCT amperity_id) > 1
ORDER BY amperity_ids DESC, records DESC, semantic, value
