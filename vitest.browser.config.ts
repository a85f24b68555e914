import { defineConfig } from "vitest/config";

/** Tests in headless Chromium against the playground page (scripts/playground.mjs builds it when needed). */
export default defineConfig({
  test: {
    include: ["test/browser/**/*.test.ts"],
    testTimeout: 180_000,
    hookTimeout: 300_000,
    pool: "forks",
    // One Chromium at a time: each loads Pyodide in several workers.
    fileParallelism: false,
  },
});
