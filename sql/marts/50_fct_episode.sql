-- A view (the cube built from it is the table). Grain: one row per episode, with the child's resolved ethnicity, sex and age at the episode.
CREATE OR REPLACE VIEW fct_episode AS
SELECT e.*, e.episode_date AS event_date,
       strftime(e.episode_date, '%Y-%m') AS month,
       financial_year(e.episode_date) AS reporting_year,
       d.ethnicity, d.ethnic_group, d.sex,
       age_band(age_at(d.birth_month, e.episode_date)) AS age_band
FROM stg_episodes e JOIN dim_child d USING (child_key);
