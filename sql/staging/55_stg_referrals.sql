-- One row per referral to children's social care (one per child and referral date; CIN census CINdetails).
CREATE OR REPLACE VIEW stg_referrals AS
SELECT child_key, agency, referral_date, referral_nfa, primary_need, closure_date
FROM landing_referrals;
