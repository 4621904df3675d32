-- DropIndex
DROP INDEX "accounts_workspace_id_current_band_idx";

-- AlterTable
ALTER TABLE "score_snapshots" ALTER COLUMN "components" SET DATA TYPE JSON;

-- A run updates every account's current score: with half of each page free, the new row versions fit
-- beside the old ones, so the update is HOT (no index entry written). Applies to pages written from
-- now on; `VACUUM FULL accounts` rewrites the existing ones.
ALTER TABLE "accounts" SET (fillfactor = 50);
