-- The accounts a play's daily cap held back on a day become one row per play and day (subject
-- 'capped', no account; see PlayFire in prisma/schema.prisma) instead of one row each: at 100,000
-- accounts the individual rows were half of a run's fires and a third of the plays' time after it.
-- The rows an earlier version wrote are folded in here, so an upgraded install's summaries, counts
-- and timelines read the same. Their ids keep the order they were capped in (highest MRR first,
-- then a later run's); the first run's id and time stand for the row.
INSERT INTO "play_fires" ("workspace_id", "play_key", "subject", "account_id", "local_date", "run_id", "trigger", "status", "created_at")
SELECT f."workspace_id", f."play_key", 'capped', NULL, f."local_date",
       (array_agg(f."run_id" ORDER BY f."id"))[1],
       jsonb_build_object(
         'kind', 'capped',
         'accounts', jsonb_agg(f."account_id" ORDER BY f."id"),
         'triggers', jsonb_object_agg(f."account_id"::text, f."trigger")),
       'capped',
       min(f."created_at")
FROM "play_fires" f
WHERE f."status" = 'capped' AND f."account_id" IS NOT NULL
GROUP BY f."workspace_id", f."play_key", f."local_date";

DELETE FROM "play_fires" WHERE "status" = 'capped' AND "account_id" IS NOT NULL;

-- An account's timeline finds the days it was capped by this index. A partial expression index, kept
-- in migrations only: Prisma's schema cannot state it, and Migrate leaves an index it was not told
-- about alone (test/db/migrations.int.test.ts checks the drift).
CREATE INDEX "play_fires_capped_accounts" ON "play_fires" USING GIN (("trigger" -> 'accounts') jsonb_path_ops)
WHERE ("status" = 'capped');
