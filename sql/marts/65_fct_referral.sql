-- Grain: one row per referral, with the child's resolved ethnicity, sex and age at referral.
-- A re-referral is a referral 1 to 365 days after the same child's previous referral to the same agency
-- (the DfE's 12-month re-referral measure), whichever return or file each came from. Only referrals
-- with a whole year of the agency's referrals before them can be judged (lookback_complete): in the
-- data's first year every referral would look like a first one.
CREATE OR REPLACE VIEW fct_referral AS
WITH ordered AS (
    SELECT r.*, lag(r.referral_date) OVER (PARTITION BY r.child_key, r.agency ORDER BY r.referral_date)
               AS previous_referral_date,
           r.referral_date >= min(r.referral_date) OVER (PARTITION BY r.agency) + INTERVAL 365 DAY AS lookback_complete
    FROM stg_referrals r
)
SELECT o.*, o.referral_date AS event_date,
       strftime(o.referral_date, '%Y-%m') AS month,
       financial_year(o.referral_date) AS reporting_year,
       d.ethnicity, d.ethnic_group, d.sex,
       age_band(age_at(d.birth_month, o.referral_date)) AS age_band,
       coalesce(datediff('day', o.previous_referral_date, o.referral_date) BETWEEN 1 AND 365, false) AS rereferral_12m
FROM ordered o JOIN dim_child d USING (child_key);
