-- Resident children by area and major ethnic group (e.g. 2021 Census), for rates per 10,000.
CREATE OR REPLACE VIEW stg_population AS
SELECT area, ethnic_group, children FROM landing_population;
