// Two projects: `unit` (pure, fast, no infrastructure) and `integration` (`*.int.test.ts`, on real
// PostgreSQL and PGlite, hence the longer timeouts). `npm test` runs both; `--project unit` only one.
import { configDefaults, defineConfig } from "vitest/config";

const INTEGRATION = "**/*.int.test.ts";

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          include: ["src/**/*.test.ts", "test/**/*.test.ts"],
          exclude: [...configDefaults.exclude, INTEGRATION],
        },
      },
      {
        test: {
          name: "integration",
          include: [INTEGRATION],
          exclude: [...configDefaults.exclude],
          // A PGlite starts in about a second, or several when the machine is busy, and the first
          // test of a worker also builds the migrated template or snapshot.
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
