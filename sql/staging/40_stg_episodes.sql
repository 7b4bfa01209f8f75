-- One row per episode (contact, visit or assessment).
CREATE OR REPLACE VIEW stg_episodes AS
SELECT child_key, agency, episode_id, episode_type, episode_date, child_seen, seen_alone,
       voice_recorded, identity_explored, interpreter_type
FROM landing_episodes;
