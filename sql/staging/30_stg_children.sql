-- One row per child per agency record. `priority` orders records for resolving a child's
-- ethnicity: social care first, then the record whose source is dated latest (a CIN return's
-- ReferenceDate, else the day it was loaded), then the most recently loaded.
CREATE OR REPLACE VIEW stg_children AS
WITH children AS (SELECT * FROM landing_children),
final AS (
    SELECT c.child_key, c.agency, c.ethnicity AS record_ethnicity,
           coalesce(e.is_known, false) AS ethnicity_known,
           coalesce(e.major_group, 'Not known') AS record_ethnic_group,
           c.sex, CAST(c.date_of_birth || '-01' AS DATE) AS birth_month,
           c.first_language, c.interpreter_needed, c.disability,
           (c.agency = 'social_care', coalesce(c.as_of, DATE '0001-01-01'), c.load_id, c.source_line) AS priority
    FROM children c
    LEFT JOIN stg_ethnicity e ON e.code = c.ethnicity
)
SELECT * FROM final;
