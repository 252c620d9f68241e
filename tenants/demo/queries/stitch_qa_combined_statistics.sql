-- Stitch QA: the whole run in one row.
-- records: source records stitched; accounts: distinct customer keys per datasource (ck when the
-- source has one, else pk); dedupe rate = (records - Amperity IDs) / records.
WITH clusters AS (
  SELECT
    amperity_id,
    COUNT(*) AS records
  FROM Unified_Coalesced
  GROUP BY amperity_id
),
cluster_totals AS (
  SELECT
    COUNT(*) AS amperity_ids,
    COUNT(*) FILTER (WHERE records = 1) AS singletons,
    COUNT(*) FILTER (WHERE records > 1) AS multi_record_clusters,
    COALESCE(MAX(records), 0) AS largest_cluster
  FROM clusters
),
record_totals AS (
  SELECT
    COUNT(*) AS records,
    COUNT(DISTINCT CONCAT(datasource, '|', COALESCE(ck, pk))) AS accounts,
    COUNT(DISTINCT datasource) AS datasources,
    COUNT(*) FILTER (WHERE is_supersized) AS supersized_records
  FROM Unified_Coalesced
)
SELECT
  r.records,
  r.accounts,
  r.datasources,
  c.amperity_ids,
  c.singletons,
  c.multi_record_clusters,
  r.records - c.singletons AS records_in_multi_record_clusters,
  c.largest_cluster,
  r.supersized_records,
  ROUND(CAST(r.records - c.amperity_ids AS DOUBLE) / NULLIF(r.records, 0), 4) AS dedupe_rate,
  ROUND(CAST(r.records AS DOUBLE) / NULLIF(c.amperity_ids, 0), 3) AS records_per_amperity_id
FROM record_totals AS r
CROSS JOIN cluster_totals AS c
