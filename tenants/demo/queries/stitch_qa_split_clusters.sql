-- Stitch QA: strong values (email, phone, the demo tenant's foreign keys) held by two to ten
-- Amperity IDs, one row per pair of IDs sharing a value, with the names on each side.
-- same_component = true: the records were connected and Stitch separated them on a conflict
-- (birthdate, generational suffix, a separation rule); false: the pair never scored above the
-- threshold, or the value is a bad value. Values in more than ten IDs are in
-- stitch_qa_many_ids_per_value instead.
WITH strong_values AS (
  SELECT 'email' AS semantic, email AS value, amperity_id, component_id, given_name, surname
  FROM Unified_Preprocessed_Raw WHERE email IS NOT NULL
  UNION ALL
  SELECT 'phone', phone, amperity_id, component_id, given_name, surname
  FROM Unified_Preprocessed_Raw WHERE phone IS NOT NULL
  UNION ALL
  SELECT 'fk_pos_customer', fk_pos_customer, amperity_id, component_id, given_name, surname
  FROM Unified_Preprocessed_Raw WHERE fk_pos_customer IS NOT NULL
  UNION ALL
  SELECT 'fk_ecom_account', fk_ecom_account, amperity_id, component_id, given_name, surname
  FROM Unified_Preprocessed_Raw WHERE fk_ecom_account IS NOT NULL
),
ids_per_value AS (
  SELECT
    semantic,
    value,
    amperity_id,
    MIN(component_id) AS component_id,
    COUNT(*) AS records,
    MIN(TRIM(CONCAT(COALESCE(given_name, ''), ' ', COALESCE(surname, '')))) AS name_example
  FROM strong_values
  GROUP BY semantic, value, amperity_id
),
shared AS (
  SELECT semantic, value
  FROM ids_per_value
  GROUP BY semantic, value
  HAVING COUNT(*) BETWEEN 2 AND 10
)
SELECT
  s.semantic,
  s.value,
  a.amperity_id AS amperity_id_a,
  b.amperity_id AS amperity_id_b,
  a.component_id = b.component_id AS same_component,
  a.records AS records_a,
  b.records AS records_b,
  a.name_example AS name_a,
  b.name_example AS name_b
FROM shared AS s
JOIN ids_per_value AS a
  ON a.semantic = s.semantic AND a.value = s.value
JOIN ids_per_value AS b
  ON b.semantic = s.semantic AND b.value = s.value AND a.amperity_id < b.amperity_id
ORDER BY same_component DESC, s.semantic, s.value, amperity_id_a, amperity_id_b
