-- rebuilt after loading: children, episodes, disclosures, population
-- Children in need (any social care episode) and resident children, by major ethnic group.
-- Grain: one row per child in need per financial year with a social care episode (event_date = 1 April
-- of that year, so the dashboard's financial-year period filter counts each child once), plus one
-- undated row per population group.
CREATE OR REPLACE TABLE fct_cin AS
SELECT DISTINCT child_key, ethnic_group,
       make_date(year(episode_date) - CASE WHEN month(episode_date) < 4 THEN 1 ELSE 0 END, 4, 1) AS event_date,
       CAST(0 AS BIGINT) AS population
FROM fct_episode WHERE agency = 'social_care'
UNION ALL
SELECT NULL, ethnic_group, NULL, children FROM stg_population;
