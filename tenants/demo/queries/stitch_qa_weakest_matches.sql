-- Stitch QA: the lowest-scoring pair inside each multi-record Amperity ID, the 1,000 weakest
-- first, both records side by side (columns _a and _b). Weak links are where over-clustering
-- starts: a cluster held together by one Moderate pair deserves a look.
WITH ranked AS (
  SELECT
    amperity_id,
    source1,
    pk1,
    source2,
    pk2,
    score,
    match_category,
    match_type,
    ROW_NUMBER() OVER (PARTITION BY amperity_id ORDER BY score, source1, pk1, source2, pk2) AS rank_in_cluster
  FROM Unified_Scores
),
sizes AS (
  SELECT amperity_id, COUNT(*) AS cluster_records
  FROM Unified_Coalesced
  GROUP BY amperity_id
)
SELECT
  r.amperity_id,
  z.cluster_records,
  r.score,
  r.match_category,
  r.match_type,
  a.datasource AS datasource_a,
  a.pk AS pk_a,
  a.given_name AS given_name_a,
  a.surname AS surname_a,
  a.email AS email_a,
  a.phone AS phone_a,
  a.address AS address_a,
  a.postal AS postal_a,
  a.birthdate AS birthdate_a,
  b.datasource AS datasource_b,
  b.pk AS pk_b,
  b.given_name AS given_name_b,
  b.surname AS surname_b,
  b.email AS email_b,
  b.phone AS phone_b,
  b.address AS address_b,
  b.postal AS postal_b,
  b.birthdate AS birthdate_b
FROM ranked AS r
JOIN sizes AS z
  ON z.amperity_id = r.amperity_id
JOIN Unified_Coalesced AS a
  ON a.datasource = r.source1 AND a.pk = r.pk1
JOIN Unified_Coalesced AS b
  ON b.datasource = r.source2 AND b.pk = r.pk2
WHERE r.rank_in_cluster = 1
ORDER BY r.score, r.amperity_id
LIMIT 1000
