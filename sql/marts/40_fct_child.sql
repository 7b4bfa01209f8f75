-- Grain: one row per child, for cross-agency consistency of ethnicity recording.
CREATE OR REPLACE VIEW fct_child AS
SELECT child_key, ethnicity, ethnic_group, sex, agencies_with_known_ethnicity, known_groups,
       CAST(NULL AS DATE) AS event_date
FROM dim_child;
