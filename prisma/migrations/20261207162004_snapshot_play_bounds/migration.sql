-- AlterTable
ALTER TABLE "score_snapshots" ADD COLUMN     "play_bounds" TEXT;
