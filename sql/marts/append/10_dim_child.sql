-- appended after loading: episodes, disclosures, referrals
-- Instead of rebuilding dim_child (10_dim_child.sql), for a load of these kinds that replaced no earlier row.
-- A child's resolved ethnicity, sex and birth month come only from agency child records (children), which
-- such a load does not touch, and it removes no row, so no child can leave: it can only name children not
-- seen before, who get what the full build gives a child with no record. tests/test_incremental.py checks
-- the result equals a full rebuild.
INSERT INTO dim_child BY NAME
SELECT DISTINCT n.child_key, 'NOBT' AS ethnicity, 'Not known' AS ethnic_group, 'U' AS sex,
       0 AS agencies_with_known_ethnicity, 0 AS known_groups
FROM (SELECT child_key FROM landing_episodes WHERE load_id >= list_min($load_ids) AND list_contains($load_ids, load_id)
      UNION SELECT child_key FROM landing_disclosures WHERE load_id >= list_min($load_ids) AND list_contains($load_ids, load_id)
      UNION SELECT child_key FROM landing_referrals WHERE load_id >= list_min($load_ids) AND list_contains($load_ids, load_id)) n
WHERE NOT EXISTS (SELECT 1 FROM dim_child d WHERE d.child_key = n.child_key);
