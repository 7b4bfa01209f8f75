-- One row per child per agency record. `priority` orders records for resolving a child's
-- ethnicity: social care first, then the most recently loaded record.
CREATE OR REPLACE VIEW stg_children AS
WITH children AS (SELECT * FROM landing_children),
final AS (
    SELECT c.child_key, c.agency, c.ethnicity AS record_ethnicity,
           coalesce(e.is_known, false) AS ethnicity_known,
           coalesce(e.major_group, 'Not known') AS record_ethnic_group,
           c.sex, CAST(c.date_of_birth || '-01' AS DATE) AS birth_month,
           c.first_language, c.interpreter_needed, c.disability,
           (CASE WHEN c.agency = 'social_care' THEN 1 ELSE 0 END) * 1000000000000000
               + c.load_id * 10000000000 + c.source_line AS priority
    FROM children c
    LEFT JOIN stg_ethnicity e ON e.code = c.ethnicity
)
SELECT * FROM final;
