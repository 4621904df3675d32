-- DropIndex
DROP INDEX "accounts_external_id_trgm_idx";
