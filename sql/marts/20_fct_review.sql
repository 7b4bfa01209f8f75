-- Grain: one row per review. Dimensions for breakdowns plus the coded answers indicators count.
CREATE OR REPLACE VIEW fct_review AS
SELECT *, notification_date AS event_date FROM stg_reviews;
