-- Children in need (any social care episode) and resident children, by major ethnic group.
-- Population rows are undated so a period filter keeps them; child rows carry their episode date.
CREATE OR REPLACE TABLE fct_cin AS
SELECT child_key, ethnic_group, event_date, CAST(0 AS BIGINT) AS population
FROM fct_episode WHERE agency = 'social_care'
UNION ALL
SELECT NULL, ethnic_group, NULL, children FROM stg_population;
