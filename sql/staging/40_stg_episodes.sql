-- One row per episode (contact, visit or assessment). load_id lets a load that only added episodes
-- count just its own rows into the episode cube (pipelines/cubes.py, cube_append_sql).
CREATE OR REPLACE VIEW stg_episodes AS
SELECT child_key, agency, episode_id, episode_type, episode_date, child_seen, seen_alone,
       voice_recorded, identity_explored, interpreter_type, load_id
FROM landing_episodes;
