import { defineConfig } from "vitest/config";

/** The differential suite: shell scripts run by sandflow's busybox and by native busybox (apt). */
export default defineConfig({
  test: {
    include: ["test/shell-diff/**/*.test.ts"],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: "forks",
  },
});
