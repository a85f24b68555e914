/**
 * Builds the dashboard of `sandflow serve` into dist-dashboard/ (served by the server at /):
 * the page and its script and styles only, no interpreters; nothing is loaded from elsewhere.
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

const ROOT = fileURLToPath(new URL("../../..", import.meta.url));

export default defineConfig({
  root: fileURLToPath(new URL(".", import.meta.url)),
  base: "./",
  publicDir: false,
  build: {
    outDir: join(ROOT, "dist-dashboard"),
    emptyOutDir: true,
    target: "es2022",
    assetsInlineLimit: 0,
    // CodeMirror, zod and the YAML parser in one script: loaded once, from this server.
    chunkSizeWarningLimit: 2048,
  },
});
