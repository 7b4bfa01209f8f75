-- One row per DfE ethnicity code: label and major group ('Not known' for REFU and NOBT).
CREATE OR REPLACE VIEW stg_ethnicity AS
SELECT code, label, major_group,
       code NOT IN ('REFU', 'NOBT') AS is_known
FROM ref_ethnicity;
