// Bundles the CLI (dist/src/cli/main.js and what it imports) into dist/src/cli-bundle/, run
// by `npm run build` after tsc. Node loads the CLI's ~300 modules in about 210 ms and the
// bundle's few files in about 95 ms (with the compile cache, on the machine of
// bench/PROFILE.md): that much sooner for every command (`sandflow runs` 250 -> 145 ms).
//
// Left out of the bundle, as they are in dist/:
// - node: built-ins, and the packages that load files of their own by path (pyodide, wasmoon,
//   piscina's worker, quickjs's wasm, pg); the worker and pool-process entries are loaded
//   by path and never imported by the CLI.
// - src/node/pool-child.js: bin/sandflow.js starts the pool process through it before the
//   CLI loads, and the engine adopts that process through the same module's state. A copy in
//   the bundle would not see it (and the engine would start a second pool process).
import { build } from "rolldown";

/** Pure-JavaScript packages that load nothing by path: bundled. */
const BUNDLED = new Set([
  "zod",
  "yaml",
  "commander",
  "picocolors",
  "@marcbachmann/cel-js",
  "hono",
  "croner",
  "log-update",
]);
const SHARED_WITH_BIN = "/dist/src/node/pool-child.js";

const packageOf = (id) => {
  const parts = id.split("/");
  return id.startsWith("@") ? `${parts[0]}/${parts[1]}` : parts[0];
};

await build({
  input: { main: "dist/src/cli/main.js" },
  platform: "node",
  // The external pool-child.js is imported by a path relative to the bundle.
  makeAbsoluteExternalsRelative: true,
  external: (id, _importer, isResolved) => {
    if (id.startsWith("node:")) return true;
    if (!isResolved && !id.startsWith(".") && !id.startsWith("/")) return !BUNDLED.has(packageOf(id));
    return id.replaceAll("\\", "/").endsWith(SHARED_WITH_BIN);
  },
  output: {
    dir: "dist/src/cli-bundle",
    format: "esm",
    entryFileNames: "[name].js",
    chunkFileNames: "[name]-[hash].js",
    cleanDir: true,
  },
  logLevel: "warn",
});
