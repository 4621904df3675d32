-- AlterTable
ALTER TABLE "follow_ups" ADD COLUMN     "last_band" TEXT,
ADD COLUMN     "last_score" DOUBLE PRECISION,
ADD COLUMN     "parent_stale" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "pending_reply" JSONB,
ADD COLUMN     "recovered_at" TIMESTAMPTZ(3),
ADD COLUMN     "resolved_by" TEXT;
