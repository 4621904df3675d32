-- When a run's plays were evaluated: a survey_answer play tells the answers stored since the last
-- evaluated run started, so that a run nobody evaluated (a backfill, a recompute typed by hand while
-- Redis was down) does not swallow the answers that arrived before it. The runs that succeeded
-- before this column were evaluated by their notification, as far as anything can say now.
ALTER TABLE "recompute_runs" ADD COLUMN "plays_evaluated_at" TIMESTAMPTZ(3);
UPDATE "recompute_runs" SET "plays_evaluated_at" = "finished_at" WHERE "status" = 'succeeded';
