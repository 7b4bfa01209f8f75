-- One row per review (RR or LCSPR), typed by the loader, with the report's derived fields.
CREATE OR REPLACE VIEW stg_reviews AS
WITH reviews AS (SELECT * FROM landing_reviews),
final AS (
    SELECT r.* EXCLUDE (extra, load_id, source_line),
           financial_year(r.notification_date) AS reporting_year,
           age_band(r.child_age_years) AS age_band,
           coalesce(r.child_ethnicity, 'NOBT') AS ethnicity,
           coalesce(e.major_group, 'Not known') AS ethnic_group,
           coalesce(r.child_sex, 'U') AS sex
    FROM reviews r
    LEFT JOIN stg_ethnicity e ON e.code = r.child_ethnicity
)
SELECT * FROM final;
