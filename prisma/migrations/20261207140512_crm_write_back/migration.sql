-- AlterTable
ALTER TABLE "connector_configs" ADD COLUMN     "write_back" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "write_back_error" TEXT;

-- CreateTable
CREATE TABLE "crm_write_runs" (
    "id" BIGSERIAL NOT NULL,
    "workspace_id" INTEGER NOT NULL,
    "connector_id" INTEGER NOT NULL,
    "recompute_run_id" BIGINT,
    "status" TEXT NOT NULL DEFAULT 'running',
    "considered" INTEGER NOT NULL DEFAULT 0,
    "changed" INTEGER NOT NULL DEFAULT 0,
    "written" INTEGER NOT NULL DEFAULT 0,
    "batches" INTEGER NOT NULL DEFAULT 0,
    "error" TEXT,
    "started_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "finished_at" TIMESTAMPTZ(3),

    CONSTRAINT "crm_write_runs_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "crm_written_values" (
    "connector_id" INTEGER NOT NULL,
    "record_id" TEXT NOT NULL,
    "account_id" INTEGER NOT NULL,
    "values" JSONB NOT NULL,
    "written_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "crm_written_values_pkey" PRIMARY KEY ("connector_id","record_id")
);

-- CreateIndex
CREATE INDEX "crm_write_runs_connector_id_started_at_idx" ON "crm_write_runs"("connector_id", "started_at");

-- AddForeignKey
ALTER TABLE "crm_write_runs" ADD CONSTRAINT "crm_write_runs_connector_id_fkey" FOREIGN KEY ("connector_id") REFERENCES "connector_configs"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "crm_written_values" ADD CONSTRAINT "crm_written_values_connector_id_fkey" FOREIGN KEY ("connector_id") REFERENCES "connector_configs"("id") ON DELETE CASCADE ON UPDATE CASCADE;
