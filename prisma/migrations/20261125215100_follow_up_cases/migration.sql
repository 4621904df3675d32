-- AlterTable
ALTER TABLE "follow_ups" ADD COLUMN     "last_band" TEXT,
ADD COLUMN     "last_score" DOUBLE PRECISION,
ADD COLUMN     "recovered_at" TIMESTAMPTZ(3),
ADD COLUMN     "resolved_by" TEXT;
