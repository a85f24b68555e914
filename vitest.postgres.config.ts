import { tmpdir } from "node:os";
import { join } from "node:path";
import { defineConfig } from "vitest/config";

/**
 * The Postgres suite (`npm run test:postgres`): on $PGURL when set, else on a throw-away
 * cluster that test/postgres/global-setup.ts starts with scripts/pg-test-cluster.sh.
 */
export default defineConfig({
  test: {
    include: ["test/postgres/**/*.test.ts"],
    globalSetup: ["test/postgres/global-setup.ts"],
    testTimeout: 240_000,
    hookTimeout: 120_000,
    pool: "forks",
    fileParallelism: false,
    env: { SANDFLOW_HOME: join(tmpdir(), `sandflow-test-home-${process.pid}`) },
  },
});
