-- DropForeignKey
ALTER TABLE "metric_observations" DROP CONSTRAINT "metric_observations_account_id_fkey";

-- What the foreign key's ON DELETE CASCADE did, once per statement instead of a check per inserted
-- row: a deleted account (or workspace, through accounts) takes its observations with it.
CREATE FUNCTION "metric_observations_delete_with_accounts"() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM "metric_observations" m USING deleted_accounts d WHERE m."account_id" = d."id";
  RETURN NULL;
END;
$$;

CREATE TRIGGER "accounts_delete_metric_observations"
AFTER DELETE ON "accounts"
REFERENCING OLD TABLE AS deleted_accounts
FOR EACH STATEMENT EXECUTE FUNCTION "metric_observations_delete_with_accounts"();
