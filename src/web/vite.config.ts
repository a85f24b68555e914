/**
 * Builds the playground page into dist-web/: the page, the module worker (bundled from
 * runtimes/worker/browser-worker.ts), and the interpreters' files at fixed paths
 * (pyodide/, wasm/), all served from the page's own origin.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { defineConfig, type Plugin } from "vite";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const PACKAGE = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string };

/** Output path -> source path (relative to the repository). */
const INTERPRETER_FILES: Record<string, string> = {
  "pyodide/pyodide.asm.mjs": "node_modules/pyodide/pyodide.asm.mjs",
  "pyodide/pyodide.asm.wasm": "node_modules/pyodide/pyodide.asm.wasm",
  "pyodide/python_stdlib.zip": "node_modules/pyodide/python_stdlib.zip",
  "pyodide/pyodide-lock.json": "node_modules/pyodide/pyodide-lock.json",
  "wasm/glue.wasm": "node_modules/wasmoon/dist/glue.wasm",
  "wasm/busybox.wasm": "runtimes/shell/wasm/busybox.wasm",
  "wasm/quickjs.wasm": "node_modules/@jitl/quickjs-wasmfile-release-sync/dist/emscripten-module.wasm",
};

const TYPES: Record<string, string> = {
  mjs: "text/javascript",
  wasm: "application/wasm",
  zip: "application/zip",
  json: "application/json",
};

/** Emits the interpreter files into the build, and serves them in `vite dev`. */
function interpreterFiles(): Plugin {
  return {
    name: "sandflow-interpreter-files",
    generateBundle() {
      for (const [fileName, from] of Object.entries(INTERPRETER_FILES))
        this.emitFile({ type: "asset", fileName, source: readFileSync(join(ROOT, from)) });
    },
    configureServer(server) {
      server.middlewares.use((req, res, next) => {
        const path = req.url?.split("?")[0]?.replace(/^\//, "") ?? "";
        const from = INTERPRETER_FILES[path];
        if (!from) return next();
        res.setHeader("Content-Type", TYPES[path.split(".").pop() ?? ""] ?? "application/octet-stream");
        res.end(readFileSync(join(ROOT, from)));
      });
    },
  };
}

const ISOLATION = {
  "Cross-Origin-Opener-Policy": "same-origin",
  "Cross-Origin-Embedder-Policy": "require-corp",
};

export default defineConfig({
  root: fileURLToPath(new URL(".", import.meta.url)),
  base: "./",
  publicDir: false,
  define: { __SANDFLOW_VERSION__: JSON.stringify(PACKAGE.version) },
  plugins: [interpreterFiles()],
  optimizeDeps: { exclude: ["pyodide"] },
  worker: { format: "es" },
  server: { headers: ISOLATION, fs: { allow: [ROOT] } },
  preview: { headers: ISOLATION },
  build: {
    outDir: join(ROOT, "dist-web"),
    emptyOutDir: true,
    target: "es2022",
    // data: URLs would need a looser CSP; every asset is a file.
    assetsInlineLimit: 0,
    chunkSizeWarningLimit: 4096,
    rollupOptions: {
      onwarn(warning, warn) {
        // pyodide and wasmoon import Node modules on code paths a browser never takes.
        if (/externalized for browser compatibility/.test(warning.message)) return;
        warn(warning);
      },
    },
  },
});
