/**
 * The settings the local pool process is started with, from the engine's options: one
 * function for the engine and for the CLI's early start of the pool process (which must
 * arrive at the same settings for the engine to adopt it). Light on imports, since the CLI
 * loads it before anything else.
 */
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { PoolServerConfig } from "../protocol/pool-process.js";
import { BUSYBOX_WASM, PACKAGE_ROOT } from "./package-paths.js";
import type { PoolLaunch } from "./pool-child.js";
import { snapshotFileName } from "./pyodide-snapshot.js";

/** The default cache folder. */
export function defaultCacheDir(): string {
  return process.env.SANDFLOW_CACHE_DIR || join(PACKAGE_ROOT, ".cache");
}

/** Folders the pool process may read: the package, its dependencies' node_modules, the cache. */
function readablePaths(cacheDir: string): string[] {
  const paths = new Set([`${PACKAGE_ROOT}/`, `${resolve(cacheDir)}/`]);
  for (const dependency of [
    "pyodide",
    "wasmoon",
    "piscina",
    "zod",
    "@bjorn3/browser_wasi_shim",
    "quickjs-emscripten-core",
    "@jitl/quickjs-wasmfile-release-sync",
  ]) {
    let dir = dirname(fileURLToPath(import.meta.resolve(dependency)));
    while (basename(dir) !== "node_modules" && dirname(dir) !== dir) dir = dirname(dir);
    if (basename(dir) === "node_modules") paths.add(`${dir}/`);
  }
  return [...paths];
}

/** What the local pool is made from (the engine's options, resolved). */
export interface LocalPoolSettings {
  readonly cacheDir: string;
  readonly useSnapshot: boolean;
  readonly threads: number;
  readonly memoryMb: number;
  readonly pool?: object | undefined;
}

/** The pool's settings, in the pool process (or in the engine's process with `isolation: "thread"`). */
export function localPoolConfig(settings: LocalPoolSettings): PoolServerConfig {
  return {
    threads: settings.threads,
    workerData: {
      busyboxWasmPath: BUSYBOX_WASM,
      ...(settings.useSnapshot ? { pyodideSnapshotPath: join(settings.cacheDir, snapshotFileName()) } : {}),
    },
    pool: { prepareMemoryBytes: settings.memoryMb * 1048576, ...settings.pool },
  };
}

/** How the isolated pool process of these settings is started. */
export function localPoolLaunch(settings: LocalPoolSettings): PoolLaunch {
  return {
    serverEntry: join(PACKAGE_ROOT, "dist", "src", "node", "pool-server.js"),
    readablePaths: readablePaths(settings.cacheDir),
    config: localPoolConfig(settings),
  };
}
