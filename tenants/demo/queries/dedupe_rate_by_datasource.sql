-- Stitch QA: deduplication rate per datasource and overall,
-- dedupe rate = (records - Amperity IDs) / records.
WITH per_source AS (
  SELECT
    datasource,
    COUNT(*) AS records,
    COUNT(DISTINCT amperity_id) AS amperity_ids
  FROM Unified_Coalesced
  GROUP BY datasource
),
overall AS (
  SELECT
    'All datasources' AS datasource,
    COUNT(*) AS records,
    COUNT(DISTINCT amperity_id) AS amperity_ids
  FROM Unified_Coalesced
)
SELECT
  datasource,
  records,
  amperity_ids,
  ROUND(CAST(records - amperity_ids AS DOUBLE) / NULLIF(records, 0), 4) AS dedupe_rate
FROM (
  SELECT * FROM per_source
  UNION ALL
  SELECT * FROM overall
) AS rates
ORDER BY datasource = 'All datasources', records DESC
