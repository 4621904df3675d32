-- Fuzzy account search for /css <account>: trigram indexes on the names, domains and ids.
-- pg_trgm ships with PostgreSQL (contrib) and with the embedded PGlite.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- CreateIndex
CREATE INDEX "accounts_name_trgm_idx" ON "accounts" USING GIN ("name" gin_trgm_ops);

-- CreateIndex
CREATE INDEX "accounts_domain_trgm_idx" ON "accounts" USING GIN ("domain" gin_trgm_ops);

-- CreateIndex
CREATE INDEX "accounts_external_id_trgm_idx" ON "accounts" USING GIN ("external_id" gin_trgm_ops);
