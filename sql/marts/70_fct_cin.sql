-- rebuilt after loading: children, episodes, disclosures, population
-- Children in need (any social care episode) and resident children, by major ethnic group.
-- Grain: one row per child in need per month with a social care episode (so a period filter can
-- count children active in it), plus one undated row per population group.
CREATE OR REPLACE TABLE fct_cin AS
SELECT DISTINCT child_key, ethnic_group, CAST(date_trunc('month', episode_date) AS DATE) AS event_date,
       CAST(0 AS BIGINT) AS population
FROM fct_episode WHERE agency = 'social_care'
UNION ALL
SELECT NULL, ethnic_group, NULL, children FROM stg_population;
