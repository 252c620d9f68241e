-- Stitch QA: how many source records each Amperity ID holds, bucketed as in Amperity's
-- cluster size distribution report (sizes beyond 20 hint at over-clustering, 64+ is supersized).
WITH sizes AS (
  SELECT
    amperity_id,
    COUNT(DISTINCT CONCAT(datasource, '|', pk)) AS records
  FROM Unified_Coalesced
  GROUP BY amperity_id
),
bucketed AS (
  SELECT
    records,
    CASE
      WHEN records <= 5 THEN CAST(records AS VARCHAR)
      WHEN records <= 10 THEN '6-10'
      WHEN records <= 20 THEN '11-20'
      WHEN records <= 63 THEN '21-63'
      WHEN records <= 100 THEN '64-100'
      WHEN records <= 1000 THEN '101-1000'
      WHEN records <= 10000 THEN '1001-10000'
      ELSE '10001+'
    END AS cluster_size,
    CASE
      WHEN records <= 5 THEN records
      WHEN records <= 10 THEN 6
      WHEN records <= 20 THEN 7
      WHEN records <= 63 THEN 8
      WHEN records <= 100 THEN 9
      WHEN records <= 1000 THEN 10
      WHEN records <= 10000 THEN 11
      ELSE 12
    END AS bucket_order
  FROM sizes
)
SELECT
  cluster_size,
  COUNT(*) AS clusters,
  SUM(records) AS records,
  ROUND(100.0 * COUNT(*) / SUM(COUNT(*)) OVER (), 2) AS pct_of_clusters,
  bucket_order >= 9 AS is_supersized
FROM bucketed
GROUP BY cluster_size, bucket_order
ORDER BY bucket_order
