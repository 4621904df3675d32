-- AlterTable
ALTER TABLE "follow_ups" ADD COLUMN     "play_key" TEXT,
ADD COLUMN     "tasks" JSONB NOT NULL DEFAULT '[]';

-- AlterTable
ALTER TABLE "survey_responses" ADD COLUMN     "comment" TEXT;

-- AlterTable
ALTER TABLE "workspaces" ADD COLUMN     "active_playbook_id" INTEGER,
ADD COLUMN     "webhook_secret" BYTEA;

-- CreateTable
CREATE TABLE "playbooks" (
    "id" SERIAL NOT NULL,
    "workspace_id" INTEGER NOT NULL,
    "version" INTEGER NOT NULL,
    "name" TEXT NOT NULL,
    "definition" JSONB NOT NULL,
    "source" TEXT NOT NULL,
    "sha256" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "created_by" TEXT,

    CONSTRAINT "playbooks_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "play_fires" (
    "id" BIGSERIAL NOT NULL,
    "workspace_id" INTEGER NOT NULL,
    "play_key" TEXT NOT NULL,
    "subject" TEXT NOT NULL,
    "account_id" INTEGER,
    "local_date" DATE NOT NULL,
    "run_id" BIGINT,
    "trigger" JSONB NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'planned',
    "held_until" TIMESTAMPTZ(3),
    "attempt_at" TIMESTAMPTZ(3),
    "outcome" JSONB NOT NULL DEFAULT '[]',
    "error" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "delivered_at" TIMESTAMPTZ(3),

    CONSTRAINT "play_fires_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "webhook_deliveries" (
    "id" BIGSERIAL NOT NULL,
    "workspace_id" INTEGER NOT NULL,
    "play_fire_id" BIGINT,
    "url" TEXT NOT NULL,
    "body" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'pending',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "next_attempt_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "last_status" INTEGER,
    "last_error" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "delivered_at" TIMESTAMPTZ(3),

    CONSTRAINT "webhook_deliveries_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "account_notes" (
    "id" BIGSERIAL NOT NULL,
    "workspace_id" INTEGER NOT NULL,
    "account_id" INTEGER NOT NULL,
    "author" TEXT NOT NULL,
    "text" TEXT NOT NULL,
    "case_id" BIGINT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "account_notes_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "playbooks_workspace_id_version_key" ON "playbooks"("workspace_id", "version");

-- CreateIndex
CREATE INDEX "play_fires_workspace_id_status_idx" ON "play_fires"("workspace_id", "status");

-- CreateIndex
CREATE INDEX "play_fires_workspace_id_local_date_idx" ON "play_fires"("workspace_id", "local_date");

-- CreateIndex
CREATE INDEX "play_fires_account_id_created_at_idx" ON "play_fires"("account_id", "created_at");

-- CreateIndex
CREATE UNIQUE INDEX "play_fires_workspace_id_play_key_subject_local_date_key" ON "play_fires"("workspace_id", "play_key", "subject", "local_date");

-- CreateIndex
CREATE INDEX "webhook_deliveries_workspace_id_status_next_attempt_at_idx" ON "webhook_deliveries"("workspace_id", "status", "next_attempt_at");

-- CreateIndex
CREATE UNIQUE INDEX "webhook_deliveries_play_fire_id_url_key" ON "webhook_deliveries"("play_fire_id", "url");

-- CreateIndex
CREATE INDEX "account_notes_account_id_created_at_idx" ON "account_notes"("account_id", "created_at");

-- CreateIndex
CREATE UNIQUE INDEX "workspaces_active_playbook_id_key" ON "workspaces"("active_playbook_id");

-- AddForeignKey
ALTER TABLE "workspaces" ADD CONSTRAINT "workspaces_active_playbook_id_fkey" FOREIGN KEY ("active_playbook_id") REFERENCES "playbooks"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "playbooks" ADD CONSTRAINT "playbooks_workspace_id_fkey" FOREIGN KEY ("workspace_id") REFERENCES "workspaces"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "play_fires" ADD CONSTRAINT "play_fires_workspace_id_fkey" FOREIGN KEY ("workspace_id") REFERENCES "workspaces"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "play_fires" ADD CONSTRAINT "play_fires_account_id_fkey" FOREIGN KEY ("account_id") REFERENCES "accounts"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "webhook_deliveries" ADD CONSTRAINT "webhook_deliveries_workspace_id_fkey" FOREIGN KEY ("workspace_id") REFERENCES "workspaces"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "account_notes" ADD CONSTRAINT "account_notes_workspace_id_fkey" FOREIGN KEY ("workspace_id") REFERENCES "workspaces"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "account_notes" ADD CONSTRAINT "account_notes_account_id_fkey" FOREIGN KEY ("account_id") REFERENCES "accounts"("id") ON DELETE CASCADE ON UPDATE CASCADE;
