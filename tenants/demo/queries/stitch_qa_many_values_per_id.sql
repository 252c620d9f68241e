-- Stitch QA: Amperity IDs holding many distinct values of one semantic (preprocessed values), the
-- usual sign of over-clustering: one person rarely has more than three given names, emails,
-- phones or addresses. Amperity's benchmark: at most ~0.011% of Amperity IDs with more than three
-- given names. Lower the 3 in the WHERE clause to look deeper.
WITH per_id AS (
  SELECT
    amperity_id,
    COUNT(*) AS records,
    COUNT(DISTINCT given_name) AS given_names,
    COUNT(DISTINCT surname) AS surnames,
    COUNT(DISTINCT email) AS emails,
    COUNT(DISTINCT phone) AS phones,
    COUNT(DISTINCT address) AS addresses,
    COUNT(DISTINCT birthdate) AS birthdates
  FROM Unified_Preprocessed_Raw
  GROUP BY amperity_id
)
SELECT
  amperity_id,
  records,
  given_names,
  surnames,
  emails,
  phones,
  addresses,
  birthdates,
  GREATEST(given_names, surnames, emails, phones, addresses, birthdates) AS most_values
FROM per_id
WHERE GREATEST(given_names, surnames, emails, phones, addresses, birthdates) > 3
ORDER BY most_values DESC, records DESC, amperity_id
