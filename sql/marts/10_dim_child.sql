-- rebuilt after loading: children, episodes, disclosures, referrals
-- One row per child (pseudonymised key) seen in any extract, with the ethnicity used for breakdowns:
-- the social care record where known, else the most recent known record from another agency, else Not known.
CREATE OR REPLACE TABLE dim_child AS
WITH records AS (SELECT * FROM stg_children),
all_children AS (
    SELECT child_key FROM records
    UNION SELECT child_key FROM stg_episodes
    UNION SELECT child_key FROM stg_disclosures
    UNION SELECT child_key FROM stg_referrals
),
resolved AS (
    SELECT child_key,
           arg_max(record_ethnicity, priority) FILTER (WHERE ethnicity_known) AS ethnicity,
           arg_max(record_ethnic_group, priority) FILTER (WHERE ethnicity_known) AS ethnic_group,
           arg_max(sex, priority) FILTER (WHERE sex IN ('M', 'F')) AS sex,
           arg_max(birth_month, priority) FILTER (WHERE birth_month IS NOT NULL) AS birth_month,
           count(DISTINCT agency) FILTER (WHERE ethnicity_known) AS agencies_with_known_ethnicity,
           count(DISTINCT record_ethnic_group) FILTER (WHERE ethnicity_known) AS known_groups
    FROM records
    GROUP BY child_key
),
final AS (
    SELECT a.child_key,
           coalesce(r.ethnicity, 'NOBT') AS ethnicity,
           coalesce(r.ethnic_group, 'Not known') AS ethnic_group,
           coalesce(r.sex, 'U') AS sex,
           r.birth_month,
           coalesce(r.agencies_with_known_ethnicity, 0) AS agencies_with_known_ethnicity,
           coalesce(r.known_groups, 0) AS known_groups
    FROM all_children a LEFT JOIN resolved r USING (child_key)
)
SELECT * FROM final;
