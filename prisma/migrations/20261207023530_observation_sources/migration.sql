-- Each observation keeps the source that wrote it, so that a write from a source ranked below the
-- stored one's is refused (README "Source precedence"). The rows stored until now were written by
-- an unknown source: "unknown" ranks below every source, so the next write of such a row replaces it
-- as any write did before. A constant default is only catalogue data (no table rewrite) and it is
-- dropped at once: every writer names its source.
ALTER TABLE "metric_observations" ADD COLUMN "source" TEXT NOT NULL DEFAULT 'unknown';
ALTER TABLE "metric_observations" ALTER COLUMN "source" DROP DEFAULT;

-- What a sync run did not write because another source's value ranked above it.
ALTER TABLE "sync_runs" ADD COLUMN "superseded" INTEGER NOT NULL DEFAULT 0;
