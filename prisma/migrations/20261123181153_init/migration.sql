-- CreateEnum
CREATE TYPE "AccountStatus" AS ENUM ('active', 'churned');

-- CreateEnum
CREATE TYPE "Survey" AS ENUM ('nps', 'csat', 'ces');

-- CreateEnum
CREATE TYPE "RunStatus" AS ENUM ('pending', 'running', 'succeeded', 'failed');

-- CreateEnum
CREATE TYPE "FollowUpStatus" AS ENUM ('open', 'snoozed', 'resolved');

-- CreateTable
CREATE TABLE "workspaces" (
    "id" SERIAL NOT NULL,
    "slug" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "slack_team_id" TEXT,
    "settings" JSONB NOT NULL DEFAULT '{}',
    "active_model_id" INTEGER,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "deleted_at" TIMESTAMPTZ(3),

    CONSTRAINT "workspaces_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "slack_installations" (
    "id" SERIAL NOT NULL,
    "workspace_id" INTEGER NOT NULL,
    "enterprise_id" TEXT,
    "bot_user_id" TEXT,
    "scopes" TEXT[],
    "encrypted_install" BYTEA NOT NULL,
    "installed_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "slack_installations_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "scoring_models" (
    "id" SERIAL NOT NULL,
    "workspace_id" INTEGER NOT NULL,
    "version" INTEGER NOT NULL,
    "name" TEXT NOT NULL,
    "definition" JSONB NOT NULL,
    "source" TEXT NOT NULL,
    "sha256" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "created_by" TEXT,

    CONSTRAINT "scoring_models_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "accounts" (
    "id" SERIAL NOT NULL,
    "workspace_id" INTEGER NOT NULL,
    "external_id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "domain" TEXT,
    "segment" TEXT,
    "owner" TEXT,
    "owner_slack_user_id" TEXT,
    "mrr" DECIMAL(14,2),
    "seats" INTEGER,
    "renewal_date" DATE,
    "customer_since" DATE,
    "status" "AccountStatus" NOT NULL DEFAULT 'active',
    "churned_at" DATE,
    "current_score" DOUBLE PRECISION,
    "current_band" TEXT,
    "scored_as_of" DATE,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "accounts_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "account_source_ids" (
    "workspace_id" INTEGER NOT NULL,
    "source" TEXT NOT NULL,
    "source_id" TEXT NOT NULL,
    "account_id" INTEGER NOT NULL,

    CONSTRAINT "account_source_ids_pkey" PRIMARY KEY ("workspace_id","source","source_id")
);

-- CreateTable
CREATE TABLE "metric_observations" (
    "workspace_id" INTEGER NOT NULL,
    "account_id" INTEGER NOT NULL,
    "metric" TEXT NOT NULL,
    "observed_on" DATE NOT NULL,
    "value" DOUBLE PRECISION NOT NULL,

    CONSTRAINT "metric_observations_pkey" PRIMARY KEY ("account_id","metric","observed_on")
);

-- CreateTable
CREATE TABLE "survey_responses" (
    "id" BIGSERIAL NOT NULL,
    "workspace_id" INTEGER NOT NULL,
    "account_id" INTEGER NOT NULL,
    "survey" "Survey" NOT NULL,
    "score" DOUBLE PRECISION NOT NULL,
    "responded_at" TIMESTAMPTZ(3) NOT NULL,
    "respondent" TEXT,
    "dedupe_key" TEXT NOT NULL,

    CONSTRAINT "survey_responses_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "score_snapshots" (
    "workspace_id" INTEGER NOT NULL,
    "account_id" INTEGER NOT NULL,
    "as_of" DATE NOT NULL,
    "model_id" INTEGER NOT NULL,
    "score" DOUBLE PRECISION,
    "band" TEXT NOT NULL,
    "coverage" DOUBLE PRECISION NOT NULL,
    "components" JSONB NOT NULL,
    "run_id" BIGINT,
    "computed_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "score_snapshots_pkey" PRIMARY KEY ("account_id","as_of")
);

-- CreateTable
CREATE TABLE "band_changes" (
    "id" BIGSERIAL NOT NULL,
    "workspace_id" INTEGER NOT NULL,
    "account_id" INTEGER NOT NULL,
    "as_of" DATE NOT NULL,
    "from_band" TEXT,
    "to_band" TEXT NOT NULL,
    "from_score" DOUBLE PRECISION,
    "to_score" DOUBLE PRECISION,
    "drivers" JSONB NOT NULL,
    "run_id" BIGINT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "digested_at" TIMESTAMPTZ(3),

    CONSTRAINT "band_changes_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "recompute_runs" (
    "id" BIGSERIAL NOT NULL,
    "workspace_id" INTEGER NOT NULL,
    "slot" TEXT NOT NULL,
    "as_of" DATE NOT NULL,
    "status" "RunStatus" NOT NULL DEFAULT 'pending',
    "trigger" TEXT NOT NULL DEFAULT 'manual',
    "model_id" INTEGER,
    "shards" INTEGER NOT NULL DEFAULT 0,
    "shards_done" INTEGER NOT NULL DEFAULT 0,
    "accounts" INTEGER NOT NULL DEFAULT 0,
    "scored" INTEGER NOT NULL DEFAULT 0,
    "insufficient_data" INTEGER NOT NULL DEFAULT 0,
    "band_changes" INTEGER NOT NULL DEFAULT 0,
    "errors" JSONB NOT NULL DEFAULT '[]',
    "error" TEXT,
    "started_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "finished_at" TIMESTAMPTZ(3),

    CONSTRAINT "recompute_runs_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "follow_ups" (
    "id" BIGSERIAL NOT NULL,
    "workspace_id" INTEGER NOT NULL,
    "account_id" INTEGER NOT NULL,
    "status" "FollowUpStatus" NOT NULL DEFAULT 'open',
    "owner_slack_user_id" TEXT,
    "assigned_by" TEXT,
    "due_date" DATE,
    "channel_id" TEXT,
    "thread_ts" TEXT,
    "opened_score" DOUBLE PRECISION,
    "snoozed_until" DATE,
    "snooze_reason" TEXT,
    "snooze_score" DOUBLE PRECISION,
    "escalated_at" TIMESTAMPTZ(3),
    "opened_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "resolved_at" TIMESTAMPTZ(3),
    "version" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "follow_ups_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "digests" (
    "id" BIGSERIAL NOT NULL,
    "workspace_id" INTEGER NOT NULL,
    "channel_id" TEXT NOT NULL,
    "local_date" DATE NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'pending',
    "message_ts" TEXT[],
    "posted_at" TIMESTAMPTZ(3),
    "error" TEXT,

    CONSTRAINT "digests_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "connector_configs" (
    "id" SERIAL NOT NULL,
    "workspace_id" INTEGER NOT NULL,
    "kind" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "settings" JSONB NOT NULL DEFAULT '{}',
    "encrypted_secret" BYTEA,
    "cursor" JSONB,
    "status" TEXT NOT NULL DEFAULT 'active',
    "last_error" TEXT,
    "last_sync_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "connector_configs_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "sync_runs" (
    "id" BIGSERIAL NOT NULL,
    "workspace_id" INTEGER NOT NULL,
    "connector_id" INTEGER NOT NULL,
    "status" "RunStatus" NOT NULL DEFAULT 'running',
    "read" INTEGER NOT NULL DEFAULT 0,
    "written" INTEGER NOT NULL DEFAULT 0,
    "rejected" INTEGER NOT NULL DEFAULT 0,
    "error" TEXT,
    "started_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "finished_at" TIMESTAMPTZ(3),

    CONSTRAINT "sync_runs_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "audit_log" (
    "id" BIGSERIAL NOT NULL,
    "workspace_id" INTEGER NOT NULL,
    "actor" TEXT NOT NULL,
    "action" TEXT NOT NULL,
    "target" TEXT,
    "details" JSONB NOT NULL DEFAULT '{}',
    "at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "audit_log_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "api_keys" (
    "id" SERIAL NOT NULL,
    "workspace_id" INTEGER NOT NULL,
    "name" TEXT NOT NULL,
    "prefix" TEXT NOT NULL,
    "key_hash" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "revoked_at" TIMESTAMPTZ(3),

    CONSTRAINT "api_keys_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "account_watches" (
    "workspace_id" INTEGER NOT NULL,
    "account_id" INTEGER NOT NULL,
    "slack_user_id" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "account_watches_pkey" PRIMARY KEY ("account_id","slack_user_id")
);

-- CreateIndex
CREATE UNIQUE INDEX "workspaces_slug_key" ON "workspaces"("slug");

-- CreateIndex
CREATE UNIQUE INDEX "workspaces_slack_team_id_key" ON "workspaces"("slack_team_id");

-- CreateIndex
CREATE UNIQUE INDEX "workspaces_active_model_id_key" ON "workspaces"("active_model_id");

-- CreateIndex
CREATE UNIQUE INDEX "slack_installations_workspace_id_key" ON "slack_installations"("workspace_id");

-- CreateIndex
CREATE UNIQUE INDEX "scoring_models_workspace_id_version_key" ON "scoring_models"("workspace_id", "version");

-- CreateIndex
CREATE INDEX "accounts_workspace_id_current_band_idx" ON "accounts"("workspace_id", "current_band");

-- CreateIndex
CREATE INDEX "accounts_workspace_id_domain_idx" ON "accounts"("workspace_id", "domain");

-- CreateIndex
CREATE UNIQUE INDEX "accounts_workspace_id_external_id_key" ON "accounts"("workspace_id", "external_id");

-- CreateIndex
CREATE INDEX "account_source_ids_account_id_idx" ON "account_source_ids"("account_id");

-- CreateIndex
CREATE INDEX "metric_observations_workspace_id_metric_observed_on_idx" ON "metric_observations"("workspace_id", "metric", "observed_on");

-- CreateIndex
CREATE INDEX "survey_responses_account_id_survey_responded_at_idx" ON "survey_responses"("account_id", "survey", "responded_at");

-- CreateIndex
CREATE UNIQUE INDEX "survey_responses_workspace_id_dedupe_key_key" ON "survey_responses"("workspace_id", "dedupe_key");

-- CreateIndex
CREATE INDEX "score_snapshots_workspace_id_as_of_idx" ON "score_snapshots"("workspace_id", "as_of");

-- CreateIndex
CREATE INDEX "band_changes_workspace_id_as_of_idx" ON "band_changes"("workspace_id", "as_of");

-- CreateIndex
CREATE UNIQUE INDEX "band_changes_account_id_as_of_key" ON "band_changes"("account_id", "as_of");

-- CreateIndex
CREATE INDEX "recompute_runs_workspace_id_started_at_idx" ON "recompute_runs"("workspace_id", "started_at");

-- CreateIndex
CREATE UNIQUE INDEX "recompute_runs_workspace_id_slot_key" ON "recompute_runs"("workspace_id", "slot");

-- CreateIndex
CREATE INDEX "follow_ups_workspace_id_status_idx" ON "follow_ups"("workspace_id", "status");

-- CreateIndex
CREATE INDEX "follow_ups_account_id_status_idx" ON "follow_ups"("account_id", "status");

-- CreateIndex
CREATE UNIQUE INDEX "digests_workspace_id_channel_id_local_date_key" ON "digests"("workspace_id", "channel_id", "local_date");

-- CreateIndex
CREATE UNIQUE INDEX "connector_configs_workspace_id_name_key" ON "connector_configs"("workspace_id", "name");

-- CreateIndex
CREATE INDEX "sync_runs_connector_id_started_at_idx" ON "sync_runs"("connector_id", "started_at");

-- CreateIndex
CREATE INDEX "audit_log_workspace_id_at_idx" ON "audit_log"("workspace_id", "at");

-- CreateIndex
CREATE UNIQUE INDEX "api_keys_key_hash_key" ON "api_keys"("key_hash");

-- CreateIndex
CREATE INDEX "account_watches_workspace_id_idx" ON "account_watches"("workspace_id");

-- AddForeignKey
ALTER TABLE "workspaces" ADD CONSTRAINT "workspaces_active_model_id_fkey" FOREIGN KEY ("active_model_id") REFERENCES "scoring_models"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "slack_installations" ADD CONSTRAINT "slack_installations_workspace_id_fkey" FOREIGN KEY ("workspace_id") REFERENCES "workspaces"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "scoring_models" ADD CONSTRAINT "scoring_models_workspace_id_fkey" FOREIGN KEY ("workspace_id") REFERENCES "workspaces"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "accounts" ADD CONSTRAINT "accounts_workspace_id_fkey" FOREIGN KEY ("workspace_id") REFERENCES "workspaces"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "account_source_ids" ADD CONSTRAINT "account_source_ids_account_id_fkey" FOREIGN KEY ("account_id") REFERENCES "accounts"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "metric_observations" ADD CONSTRAINT "metric_observations_workspace_id_fkey" FOREIGN KEY ("workspace_id") REFERENCES "workspaces"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "metric_observations" ADD CONSTRAINT "metric_observations_account_id_fkey" FOREIGN KEY ("account_id") REFERENCES "accounts"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "survey_responses" ADD CONSTRAINT "survey_responses_workspace_id_fkey" FOREIGN KEY ("workspace_id") REFERENCES "workspaces"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "survey_responses" ADD CONSTRAINT "survey_responses_account_id_fkey" FOREIGN KEY ("account_id") REFERENCES "accounts"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "score_snapshots" ADD CONSTRAINT "score_snapshots_workspace_id_fkey" FOREIGN KEY ("workspace_id") REFERENCES "workspaces"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "score_snapshots" ADD CONSTRAINT "score_snapshots_account_id_fkey" FOREIGN KEY ("account_id") REFERENCES "accounts"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "score_snapshots" ADD CONSTRAINT "score_snapshots_model_id_fkey" FOREIGN KEY ("model_id") REFERENCES "scoring_models"("id") ON DELETE NO ACTION ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "band_changes" ADD CONSTRAINT "band_changes_workspace_id_fkey" FOREIGN KEY ("workspace_id") REFERENCES "workspaces"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "band_changes" ADD CONSTRAINT "band_changes_account_id_fkey" FOREIGN KEY ("account_id") REFERENCES "accounts"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "recompute_runs" ADD CONSTRAINT "recompute_runs_workspace_id_fkey" FOREIGN KEY ("workspace_id") REFERENCES "workspaces"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "follow_ups" ADD CONSTRAINT "follow_ups_workspace_id_fkey" FOREIGN KEY ("workspace_id") REFERENCES "workspaces"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "follow_ups" ADD CONSTRAINT "follow_ups_account_id_fkey" FOREIGN KEY ("account_id") REFERENCES "accounts"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "digests" ADD CONSTRAINT "digests_workspace_id_fkey" FOREIGN KEY ("workspace_id") REFERENCES "workspaces"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "connector_configs" ADD CONSTRAINT "connector_configs_workspace_id_fkey" FOREIGN KEY ("workspace_id") REFERENCES "workspaces"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "sync_runs" ADD CONSTRAINT "sync_runs_workspace_id_fkey" FOREIGN KEY ("workspace_id") REFERENCES "workspaces"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "sync_runs" ADD CONSTRAINT "sync_runs_connector_id_fkey" FOREIGN KEY ("connector_id") REFERENCES "connector_configs"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "audit_log" ADD CONSTRAINT "audit_log_workspace_id_fkey" FOREIGN KEY ("workspace_id") REFERENCES "workspaces"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "api_keys" ADD CONSTRAINT "api_keys_workspace_id_fkey" FOREIGN KEY ("workspace_id") REFERENCES "workspaces"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "account_watches" ADD CONSTRAINT "account_watches_workspace_id_fkey" FOREIGN KEY ("workspace_id") REFERENCES "workspaces"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "account_watches" ADD CONSTRAINT "account_watches_account_id_fkey" FOREIGN KEY ("account_id") REFERENCES "accounts"("id") ON DELETE CASCADE ON UPDATE CASCADE;
