-- CreateTable
CREATE TABLE "metric_rollups" (
    "account_id" INTEGER NOT NULL,
    "workspace_id" INTEGER NOT NULL,
    "as_of" DATE NOT NULL,
    "values" JSONB NOT NULL,
    "snapshot" pg_snapshot NOT NULL,

    CONSTRAINT "metric_rollups_pkey" PRIMARY KEY ("account_id")
);

-- CreateTable
CREATE TABLE "metric_rollup_changes" (
    "id" BIGSERIAL NOT NULL,
    "workspace_id" INTEGER NOT NULL,
    "account_id" INTEGER NOT NULL,
    "xact" xid8 NOT NULL DEFAULT pg_current_xact_id(),

    CONSTRAINT "metric_rollup_changes_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "metric_rollups_workspace_id_as_of_idx" ON "metric_rollups"("workspace_id", "as_of");

-- CreateIndex
CREATE INDEX "metric_rollup_changes_workspace_id_account_id_idx" ON "metric_rollup_changes"("workspace_id", "account_id");

-- Every statement that writes observations records which accounts it touched and in which transaction
-- (plain inserts: writers never wait on each other here). A rollup computed from a snapshot in which
-- that transaction was not yet visible is out of date.
CREATE FUNCTION "metric_rollup_changes_record"() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO "metric_rollup_changes" ("workspace_id", "account_id")
  SELECT DISTINCT "workspace_id", "account_id" FROM changed_rows;
  RETURN NULL;
END;
$$;

-- Transition tables allow one event per trigger: one trigger each for insert, update and delete.
CREATE TRIGGER "metric_observations_inserted_rollup_changes"
AFTER INSERT ON "metric_observations"
REFERENCING NEW TABLE AS changed_rows
FOR EACH STATEMENT EXECUTE FUNCTION "metric_rollup_changes_record"();

CREATE TRIGGER "metric_observations_updated_rollup_changes"
AFTER UPDATE ON "metric_observations"
REFERENCING NEW TABLE AS changed_rows
FOR EACH STATEMENT EXECUTE FUNCTION "metric_rollup_changes_record"();

CREATE TRIGGER "metric_observations_deleted_rollup_changes"
AFTER DELETE ON "metric_observations"
REFERENCING OLD TABLE AS changed_rows
FOR EACH STATEMENT EXECUTE FUNCTION "metric_rollup_changes_record"();

-- A deleted account takes its rollup and change records with it, after its observations (whose delete
-- records changes of its own).
CREATE OR REPLACE FUNCTION "metric_observations_delete_with_accounts"() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM "metric_observations" m USING deleted_accounts d WHERE m."account_id" = d."id";
  DELETE FROM "metric_rollups" r USING deleted_accounts d WHERE r."account_id" = d."id";
  DELETE FROM "metric_rollup_changes" c USING deleted_accounts d WHERE c."account_id" = d."id";
  RETURN NULL;
END;
$$;

-- Observations written before rollups existed: every account that has some is out of date.
INSERT INTO "metric_rollup_changes" ("workspace_id", "account_id")
SELECT DISTINCT "workspace_id", "account_id" FROM "metric_observations";
