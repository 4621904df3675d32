-- `/css <account>` ranks the names that start with the query first. When a word starts many names
-- (1,000 of 100,000 for "Highland"), the trigram index fetched and rechecked every one of them to
-- find the shortest, 4 ms; on this index they are a range of lower(name) (text_pattern_ops, which
-- also serves the exact name in any case), read without visiting the table, since the name and the
-- id are in the index too: under 1 ms.
-- An index on an expression: Prisma's schema cannot state it and Migrate leaves it alone
-- (https://pris.ly/d/expression-indexes); it lives in migrations only.
DROP INDEX "accounts_workspace_id_lower_name_idx";
CREATE INDEX "accounts_workspace_id_lower_name_idx" ON "accounts"("workspace_id", lower("name") text_pattern_ops) INCLUDE ("name", "id");
