-- Children in need (any social care episode) and resident children, by major ethnic group.
-- Grain: one row per child in need per financial year with a social care episode (event_date = 1 April
-- of that year), carrying the child's previous such year. Counting the rows in a period whose previous
-- year falls before the period counts each child once, and stays a plain sum, so it can be cubed.
-- Population rows are undated.
CREATE OR REPLACE VIEW fct_cin AS
WITH years AS (
    SELECT DISTINCT child_key, ethnic_group,
           make_date(year(episode_date) - CASE WHEN month(episode_date) < 4 THEN 1 ELSE 0 END, 4, 1) AS event_date
    FROM fct_episode WHERE agency = 'social_care'
)
SELECT child_key, ethnic_group, event_date,
       lag(event_date) OVER (PARTITION BY child_key ORDER BY event_date) AS previous_event_date,
       CAST(0 AS BIGINT) AS population
FROM years
UNION ALL
SELECT NULL, ethnic_group, NULL, NULL, children FROM stg_population;
