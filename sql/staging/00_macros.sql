-- Shared definitions used by every later layer.
-- Financial year (April-March) as '2023-24'; the reporting year of a review is that of its notification.
CREATE OR REPLACE MACRO financial_year(d) AS
    CASE WHEN d IS NULL THEN NULL ELSE
        CAST(year(d) - CASE WHEN month(d) < 4 THEN 1 ELSE 0 END AS VARCHAR) || '-' ||
        right(CAST(year(d) + CASE WHEN month(d) < 4 THEN 0 ELSE 1 END AS VARCHAR), 2)
    END;

-- Age bands used in the Panel's report (Table C6).
CREATE OR REPLACE MACRO age_band(age) AS
    CASE WHEN age IS NULL OR age < 0 OR age > 17 THEN 'Not known'
         WHEN age < 1 THEN 'under_1' WHEN age <= 5 THEN '1_5' WHEN age <= 10 THEN '6_10'
         WHEN age <= 15 THEN '11_15' ELSE '16_17' END;

-- Completed years between a birth month and a date.
CREATE OR REPLACE MACRO age_at(birth_month, d) AS
    CASE WHEN birth_month IS NULL OR d IS NULL THEN NULL
         ELSE CAST(floor(datediff('month', birth_month, d) / 12) AS INTEGER) END;

-- Interpreter arrangements (data contract section 3).
CREATE OR REPLACE MACRO interpreter_needed(t) AS coalesce(t NOT IN ('not_needed', 'unknown'), false);
CREATE OR REPLACE MACRO interpreter_informal(t) AS coalesce(t IN ('family_member', 'child', 'community_member'), false);
