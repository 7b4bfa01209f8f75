-- rebuilt after loading: episodes
-- Episodes needing an interpreter, by agency, who interpreted and month: the practice page's stacked bars.
CREATE OR REPLACE TABLE mart_interpreter_mix AS
SELECT agency, interpreter_type, CAST(date_trunc('month', episode_date) AS DATE) AS event_date, count(*) AS episodes
FROM stg_episodes
WHERE interpreter_needed(interpreter_type)
GROUP BY ALL;
