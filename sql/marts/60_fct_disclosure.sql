-- Grain: one row per disclosure, with the child's resolved ethnicity, sex and age at disclosure.
CREATE OR REPLACE VIEW fct_disclosure AS
SELECT x.*, x.disclosure_date AS event_date,
       strftime(x.disclosure_date, '%Y-%m') AS month,
       financial_year(x.disclosure_date) AS reporting_year,
       d.ethnicity, d.ethnic_group, d.sex,
       age_band(age_at(d.birth_month, x.disclosure_date)) AS age_band
FROM stg_disclosures x JOIN dim_child d USING (child_key);
