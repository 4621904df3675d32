-- AlterTable
ALTER TABLE "recompute_runs" ADD COLUMN     "playbook_id" INTEGER;

-- CreateTable
CREATE TABLE "play_candidates" (
    "run_id" BIGINT NOT NULL,
    "workspace_id" INTEGER NOT NULL,
    "play_key" TEXT NOT NULL,
    "account_id" INTEGER NOT NULL,

    CONSTRAINT "play_candidates_pkey" PRIMARY KEY ("run_id","play_key","account_id")
);

-- CreateIndex
CREATE INDEX "play_candidates_workspace_id_idx" ON "play_candidates"("workspace_id");

-- AddForeignKey
ALTER TABLE "play_candidates" ADD CONSTRAINT "play_candidates_run_id_fkey" FOREIGN KEY ("run_id") REFERENCES "recompute_runs"("id") ON DELETE CASCADE ON UPDATE CASCADE;
