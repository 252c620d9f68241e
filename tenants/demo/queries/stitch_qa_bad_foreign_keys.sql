-- Stitch QA: foreign keys shared by several records of one Amperity ID whose names or emails
-- disagree (preprocessed values, so case and formatting do not count). An identical FK scores 5.0
-- whatever else differs, so a reused, recycled or placeholder FK merges different people: fix
-- the source or blocklist the value. The foreign keys are the demo tenant's.
WITH fk_records AS (
  SELECT 'fk_pos_customer' AS fk, fk_pos_customer AS value, amperity_id, given_name, surname, email
  FROM Unified_Preprocessed_Raw WHERE fk_pos_customer IS NOT NULL
  UNION ALL
  SELECT 'fk_ecom_account', fk_ecom_account, amperity_id, given_name, surname, email
  FROM Unified_Preprocessed_Raw WHERE fk_ecom_account IS NOT NULL
)
SELECT
  fk,
  value,
  amperity_id,
  COUNT(*) AS records,
  COUNT(DISTINCT given_name) AS given_names,
  COUNT(DISTINCT surname) AS surnames,
  COUNT(DISTINCT email) AS emails,
  MIN(TRIM(CONCAT(COALESCE(given_name, ''), ' ', COALESCE(surname, '')))) AS name_example_1,
  MAX(TRIM(CONCAT(COALESCE(given_name, ''), ' ', COALESCE(surname, '')))) AS name_example_2,
  MIN(email) AS email_example_1,
  MAX(email) AS email_example_2
FROM fk_records
GROUP BY fk, value, amperity_id
HAVING COUNT(DISTINCT given_name) > 1 OR COUNT(DISTINCT surname) > 1 OR COUNT(DISTINCT email) > 1
ORDER BY COUNT(DISTINCT given_name) + COUNT(DISTINCT surname) + COUNT(DISTINCT email) DESC, records DESC, fk, value
