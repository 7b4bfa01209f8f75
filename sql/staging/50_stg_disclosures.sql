-- One row per disclosure. Not followed up: no action, or action later than followup_days (contract section 2).
CREATE OR REPLACE VIEW stg_disclosures AS
WITH settings AS (SELECT CAST(value AS INTEGER) AS followup_days FROM meta WHERE name = 'followup_days'),
final AS (
    SELECT d.child_key, d.agency, d.disclosure_id, d.disclosure_date, d.harm_type, d.action, d.action_date,
           coalesce(d.action IS NOT NULL AND d.action <> 'none'
                    AND d.action_date IS NOT NULL
                    AND datediff('day', d.disclosure_date, d.action_date) <= s.followup_days, false) AS followed_up
    FROM landing_disclosures d CROSS JOIN settings s
)
SELECT * FROM final;
