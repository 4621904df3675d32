-- A run's play candidates in one row per shard and play, the accounts' ids in an array, instead of a
-- row per account (BENCHMARKS.md, Plays). The rows of a run not yet evaluated are kept, each play's
-- in one row of a range from 0 (a retried shard of such a run adds its own row: readers take the
-- union, so an account found twice counts once).
ALTER TABLE "play_candidates" RENAME TO "play_candidates_old";
ALTER TABLE "play_candidates_old" RENAME CONSTRAINT "play_candidates_pkey" TO "play_candidates_old_pkey";
ALTER TABLE "play_candidates_old" DROP CONSTRAINT "play_candidates_run_id_fkey";
ALTER INDEX "play_candidates_workspace_id_idx" RENAME TO "play_candidates_old_workspace_id_idx";

-- CreateTable
CREATE TABLE "play_candidates" (
    "run_id" BIGINT NOT NULL,
    "workspace_id" INTEGER NOT NULL,
    "from_id" INTEGER NOT NULL,
    "play_key" TEXT NOT NULL,
    "account_ids" INTEGER[],

    CONSTRAINT "play_candidates_pkey" PRIMARY KEY ("run_id","from_id","play_key")
);

-- CreateIndex
CREATE INDEX "play_candidates_workspace_id_idx" ON "play_candidates"("workspace_id");

-- AddForeignKey
ALTER TABLE "play_candidates" ADD CONSTRAINT "play_candidates_run_id_fkey" FOREIGN KEY ("run_id") REFERENCES "recompute_runs"("id") ON DELETE CASCADE ON UPDATE CASCADE;

INSERT INTO "play_candidates" ("run_id", "workspace_id", "from_id", "play_key", "account_ids")
SELECT "run_id", "workspace_id", 0, "play_key", array_agg("account_id" ORDER BY "account_id")
FROM "play_candidates_old"
GROUP BY "run_id", "workspace_id", "play_key";

DROP TABLE "play_candidates_old";
