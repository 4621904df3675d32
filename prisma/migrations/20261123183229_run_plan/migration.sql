-- AlterTable
ALTER TABLE "recompute_runs" ADD COLUMN     "plan" JSONB;
