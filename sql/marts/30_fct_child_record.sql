-- Grain: one row per child per agency record. Breakdowns use the child's resolved ethnicity,
-- so "health records ethnicity for fewer Black children" is visible.
CREATE OR REPLACE VIEW fct_child_record AS
SELECT r.child_key, r.agency, r.record_ethnicity, r.ethnicity_known,
       d.ethnicity, d.ethnic_group, d.sex, CAST(NULL AS DATE) AS event_date
FROM stg_children r JOIN dim_child d USING (child_key);
