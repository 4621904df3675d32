-- AlterTable
ALTER TABLE "score_snapshots" ADD COLUMN     "churn_probability" DOUBLE PRECISION;
