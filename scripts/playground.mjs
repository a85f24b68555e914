#!/usr/bin/env node
/**
 * Serves the playground (dist-web/) on 127.0.0.1 with the headers sandflow needs in a
 * browser: cross-origin isolation (COOP/COEP, for SharedArrayBuffer) and a strict CSP
 * (no eval, no connections or scripts from other origins) on every response, workers
 * included. Builds the page first when it is missing or older than its sources.
 *
 *   node scripts/playground.mjs [--port N] [--host H] [--no-build] [--rebuild]
 *
 * Prints `playground: http://HOST:PORT/` once it listens (`--port 0` picks a free port).
 */
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import { createServer } from "node:http";
import { dirname, extname, join, normalize, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const OUT = join(ROOT, "dist-web");
const SOURCES = ["src", "runtimes", "workflows", "test/conformance/workflows", "package-lock.json"];

export const CSP = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "connect-src 'self'",
  "worker-src 'self'",
  "img-src 'self'",
  "style-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

const HEADERS = {
  "Cross-Origin-Opener-Policy": "same-origin",
  "Cross-Origin-Embedder-Policy": "require-corp",
  "Cross-Origin-Resource-Policy": "same-origin",
  "Content-Security-Policy": CSP,
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "no-referrer",
};

const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".wasm": "application/wasm",
  ".zip": "application/zip",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".map": "application/json",
  ".txt": "text/plain; charset=utf-8",
};

function newest(path) {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let latest = stat.mtimeMs;
  for (const name of readdirSync(path)) {
    if (name === "node_modules" || name.startsWith(".")) continue;
    latest = Math.max(latest, newest(join(path, name)));
  }
  return latest;
}

/** True when dist-web/ is missing or older than the files it is built from. */
export function needsBuild() {
  const index = join(OUT, "index.html");
  if (!existsSync(index)) return true;
  const built = statSync(index).mtimeMs;
  return SOURCES.some((s) => newest(join(ROOT, s)) > built);
}

/** Runs the Vite build of the playground (throws when it fails). */
export function build() {
  const vite = join(ROOT, "node_modules", ".bin", "vite");
  const result = spawnSync(vite, ["build", "--config", "src/web/vite.config.ts", "--logLevel", "warn"], {
    cwd: ROOT,
    stdio: "inherit",
  });
  if (result.status !== 0) throw new Error(`playground: vite build failed (exit ${result.status})`);
}

/** Serves dist-web/; resolves with the server once it listens. */
export function serve({ port = 8080, host = "127.0.0.1" } = {}) {
  const server = createServer(async (req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname);
    const file = normalize(join(OUT, path.endsWith("/") ? `${path}index.html` : path));
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { ...HEADERS, Allow: "GET, HEAD" }).end();
      return;
    }
    if (!file.startsWith(OUT + sep)) {
      res.writeHead(403, HEADERS).end();
      return;
    }
    try {
      const info = await stat(file);
      const etag = `"${info.size.toString(16)}-${Math.floor(info.mtimeMs).toString(16)}"`;
      const type = TYPES[extname(file)] ?? "application/octet-stream";
      // Hashed bundle files never change; the rest is revalidated (a 304 costs no body).
      const cache = path.includes("/assets/") ? "public, max-age=31536000, immutable" : "no-cache";
      const headers = { ...HEADERS, "Content-Type": type, "Cache-Control": cache, ETag: etag };
      if (req.headers["if-none-match"] === etag) {
        res.writeHead(304, headers).end();
        return;
      }
      const body = await readFile(file);
      res.writeHead(200, { ...headers, "Content-Length": body.length });
      res.end(req.method === "HEAD" ? undefined : body);
    } catch {
      res.writeHead(404, { ...HEADERS, "Content-Type": "text/plain; charset=utf-8" }).end("not found\n");
    }
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve(server));
  });
}

async function main() {
  const { values } = parseArgs({
    options: {
      port: { type: "string", default: "8080" },
      host: { type: "string", default: "127.0.0.1" },
      "no-build": { type: "boolean", default: false },
      rebuild: { type: "boolean", default: false },
    },
  });
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`playground: --port must be a port number, got ${values.port}`);
    process.exit(2);
  }
  if (values.rebuild || (!values["no-build"] && needsBuild())) build();
  if (!existsSync(join(OUT, "index.html"))) {
    console.error("playground: dist-web/index.html is missing; run npm run build:web");
    process.exit(2);
  }
  const server = await serve({ port, host: values.host });
  const address = server.address();
  console.log(`playground: http://${values.host}:${address.port}/`);
  const stop = () => {
    server.closeAllConnections();
    server.close(() => process.exit(0));
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === normalize(process.argv[1])) {
  main().catch((e) => {
    console.error(`playground: ${e.message}`);
    process.exit(1);
  });
}
