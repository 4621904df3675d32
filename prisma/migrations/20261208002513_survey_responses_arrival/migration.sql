-- When css-bot first stored each survey answer: a survey_answer play tells the answers that arrived
-- since the run before (services/plays/fire-plays.ts), not those given since the day before, which
-- missed every answer given after a day's run (it was given on a day already evaluated) and every
-- answer a source delivered late. The answers stored before this column count as arrived when they
-- were given, so the first run after the upgrade tells no answer older than the run before it.
ALTER TABLE "survey_responses" ADD COLUMN "created_at" TIMESTAMPTZ(3);
UPDATE "survey_responses" SET "created_at" = "responded_at";
ALTER TABLE "survey_responses" ALTER COLUMN "created_at" SET NOT NULL,
  ALTER COLUMN "created_at" SET DEFAULT CURRENT_TIMESTAMP;
