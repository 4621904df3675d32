-- DropForeignKey
ALTER TABLE "play_fires" DROP CONSTRAINT "play_fires_account_id_fkey";

-- DropForeignKey
ALTER TABLE "play_fires" DROP CONSTRAINT "play_fires_workspace_id_fkey";

-- What the foreign keys' ON DELETE CASCADE did, once per statement instead of two checks per
-- inserted fire: a deleted account takes its fires with it, and a deleted workspace the rest (its
-- summaries, capped rows and connectors' fires, which name no account).
CREATE FUNCTION "play_fires_delete_with_accounts"() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM "play_fires" f USING deleted_accounts d WHERE f."account_id" = d."id";
  RETURN NULL;
END;
$$;

CREATE TRIGGER "accounts_delete_play_fires"
AFTER DELETE ON "accounts"
REFERENCING OLD TABLE AS deleted_accounts
FOR EACH STATEMENT EXECUTE FUNCTION "play_fires_delete_with_accounts"();

CREATE FUNCTION "play_fires_delete_with_workspaces"() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM "play_fires" f USING deleted_workspaces d WHERE f."workspace_id" = d."id";
  RETURN NULL;
END;
$$;

CREATE TRIGGER "workspaces_delete_play_fires"
AFTER DELETE ON "workspaces"
REFERENCING OLD TABLE AS deleted_workspaces
FOR EACH STATEMENT EXECUTE FUNCTION "play_fires_delete_with_workspaces"();
