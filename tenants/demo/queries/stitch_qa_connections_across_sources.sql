-- Stitch QA: for every pair of datasources, how many Amperity IDs hold records of both, and what
-- share of each source's Amperity IDs that is. A pair with no shared IDs at all usually means the
-- two sources have no profile value in common that blocking or scoring can use.
WITH id_sources AS (
  SELECT DISTINCT
    amperity_id,
    datasource
  FROM Unified_Coalesced
),
per_source AS (
  SELECT
    datasource,
    COUNT(*) AS amperity_ids
  FROM id_sources
  GROUP BY datasource
),
shared AS (
  SELECT
    a.datasource AS datasource_a,
    b.datasource AS datasource_b,
    COUNT(*) AS shared_amperity_ids
  FROM id_sources AS a
  JOIN id_sources AS b
    ON a.amperity_id = b.amperity_id AND a.datasource < b.datasource
  GROUP BY a.datasource, b.datasource
)
SELECT
  pa.datasource AS datasource_a,
  pb.datasource AS datasource_b,
  COALESCE(s.shared_amperity_ids, 0) AS shared_amperity_ids,
  pa.amperity_ids AS amperity_ids_a,
  pb.amperity_ids AS amperity_ids_b,
  ROUND(100.0 * CAST(COALESCE(s.shared_amperity_ids, 0) AS DOUBLE) / pa.amperity_ids, 2) AS pct_of_a,
  ROUND(100.0 * CAST(COALESCE(s.shared_amperity_ids, 0) AS DOUBLE) / pb.amperity_ids, 2) AS pct_of_b
FROM per_source AS pa
JOIN per_source AS pb
  ON pa.datasource < pb.datasource
LEFT JOIN shared AS s
  ON s.datasource_a = pa.datasource AND s.datasource_b = pb.datasource
ORDER BY shared_amperity_ids DESC, datasource_a, datasource_b
