-- Grain: one row per review. Dimensions for breakdowns plus the coded answers indicators count.
-- sample_group: the Panel's national sample was 54 reviews of Black, Asian and Mixed Heritage children,
-- so a like-for-like comparison with a national figure uses the reviews of those groups.
CREATE OR REPLACE VIEW fct_review AS
SELECT *, notification_date AS event_date,
       CASE WHEN ethnic_group IN ('Black', 'Asian', 'Mixed') THEN 'Black or Asian or Mixed' ELSE 'Other groups' END
           AS sample_group
FROM stg_reviews;
