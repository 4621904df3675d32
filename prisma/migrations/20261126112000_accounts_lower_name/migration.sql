-- `/css <account>` looks for the exact name in any case first. On the trigram index, `name ILIKE
-- 'highland'` fetched and rechecked every account whose name has the word (1,000 of 100,000) to
-- find none equal; on this index it is one lookup.
-- Prisma's schema cannot state an index on an expression, and Migrate leaves such indexes alone
-- (https://pris.ly/d/expression-indexes): it lives in this migration only.
CREATE INDEX "accounts_workspace_id_lower_name_idx" ON "accounts"("workspace_id", lower("name"));
