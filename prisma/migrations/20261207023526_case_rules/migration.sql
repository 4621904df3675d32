-- AlterTable
ALTER TABLE "follow_ups" ADD COLUMN     "closed_score" DOUBLE PRECISION,
ADD COLUMN     "delivery_lease" TIMESTAMPTZ(3),
ADD COLUMN     "thread_posted_at" TIMESTAMPTZ(3);

-- CreateTable
CREATE TABLE "case_backlog_notices" (
    "workspace_id" INTEGER NOT NULL,
    "local_date" DATE NOT NULL,
    "waiting" INTEGER NOT NULL,
    "channel_id" TEXT,
    "message_ts" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "case_backlog_notices_pkey" PRIMARY KEY ("workspace_id","local_date")
);

-- AddForeignKey
ALTER TABLE "case_backlog_notices" ADD CONSTRAINT "case_backlog_notices_workspace_id_fkey" FOREIGN KEY ("workspace_id") REFERENCES "workspaces"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Cases resolved before this migration closed at their last reported score; threads already posted
-- count as posted when their case opened.
UPDATE "follow_ups" SET "closed_score" = "last_score" WHERE "status" = 'resolved';
UPDATE "follow_ups" SET "thread_posted_at" = "opened_at" WHERE "thread_ts" IS NOT NULL;
