-- AlterTable
ALTER TABLE "case_backlog_notices" ADD COLUMN     "attempt_at" TIMESTAMPTZ(3);

-- AlterTable
ALTER TABLE "digests" ADD COLUMN     "attempt_at" TIMESTAMPTZ(3);

-- AlterTable
ALTER TABLE "follow_ups" ADD COLUMN     "thread_attempt_at" TIMESTAMPTZ(3);

-- A pending thread reply carries an id, sent with it as message metadata, so that a reply whose
-- answer was lost can be found in its thread instead of being sent twice.
UPDATE "follow_ups" SET "pending_reply" = "pending_reply" || jsonb_build_object('id', gen_random_uuid()::text)
WHERE "pending_reply" IS NOT NULL AND "pending_reply"->>'id' IS NULL;
