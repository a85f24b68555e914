import { tmpdir } from "node:os";
import { join } from "node:path";
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    exclude: ["test/shell-diff/**", "test/browser/**", "test/postgres/**", "node_modules/**", "dist/**"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: "forks",
    // Runs the tests make are recorded in a store of their own, not in the user's ~/.sandflow.
    env: { SANDFLOW_HOME: join(tmpdir(), `sandflow-test-home-${process.pid}`) },
  },
});
