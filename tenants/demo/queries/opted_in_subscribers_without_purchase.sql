-- Opted-in email subscribers whose Amperity ID has never bought anything: reads the domain
-- table "ESP:Subscribers" directly and finds its Amperity ID through Unified_Coalesced.
SELECT DISTINCT
  uc.amperity_id,
  LOWER(TRIM(s.email)) AS email,
  s.given_name,
  s.surname,
  s.subscribed_at
FROM "ESP:Subscribers" AS s
INNER JOIN Unified_Coalesced AS uc
  ON uc.datasource = 'ESP:Subscribers'
  AND uc.pk = s.subscriber_id
LEFT JOIN Transaction_Attributes AS ta
  ON ta.amperity_id = uc.amperity_id
WHERE s.opted_in
  AND ta.amperity_id IS NULL
