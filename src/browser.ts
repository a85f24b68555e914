/**
 * sandflow in a browser: everything in the platform-independent API, plus `createEngine()`
 * backed by dedicated module Workers. The page must be cross-origin isolated (served with
 * `Cross-Origin-Opener-Policy: same-origin` and `Cross-Origin-Embedder-Policy:
 * require-corp`) for the shared control blocks, and serve the interpreters' files itself
 * (see {@link BrowserAssets}); nothing is fetched from another origin.
 */

import { cacheStorageStore, createSnapshotProvider, type SnapshotStore } from "./browser/pyodide-snapshot.js";
import { WebWorkerTransport } from "./browser/web-worker-transport.js";
import { MemoryStore } from "./core/durable/memory-store.js";
import type { Store } from "./core/durable/store.js";
import { Engine } from "./core/engine.js";
import { type EngineOptions, resolveEngineOptions } from "./core/options.js";
import { timerClock } from "./core/system-clock.js";
import { BatchingPool, type BatchingPoolOptions } from "./pool/batching-pool.js";
import { workerLuaEvaluator } from "./pool/lua-file-evaluator.js";
import type { BrowserAssetUrls } from "./protocol/browser-wire.js";

export type { SnapshotStore } from "./browser/pyodide-snapshot.js";
export * from "./index.js";

/** Where the interpreters' files are served; relative URLs resolve against the page. */
export interface BrowserAssets {
  /** Folder with pyodide.asm.mjs, pyodide.asm.wasm, python_stdlib.zip, pyodide-lock.json. Default: `pyodide/`. */
  readonly pyodideIndexURL?: string | URL;
  /** wasmoon's glue.wasm. Default: `wasm/glue.wasm`. */
  readonly luaWasmURL?: string | URL;
  /** sandflow's busybox.wasm. Default: `wasm/busybox.wasm`. */
  readonly busyboxWasmURL?: string | URL;
  /** QuickJS's wasm file, for JavaScript steps. Default: `wasm/quickjs.wasm`. */
  readonly quickjsWasmURL?: string | URL;
}

/** Options of the browser engine: the engine's limits plus where assets and caches are. */
export interface BrowserEngineOptions extends EngineOptions {
  readonly assets?: BrowserAssets;
  /** Start Python from a memory snapshot made once and kept in the Cache API. Default: true. */
  readonly pyodideSnapshot?: boolean;
  /** Where the snapshot is kept. Default: the Cache API (nothing kept where there is none). */
  readonly snapshotStore?: SnapshotStore;
  /** Starts one worker. Default: a module Worker on the bundled runtimes/worker/browser-worker. */
  readonly createWorker?: () => Worker;
  /** Tuning of batching and the watchdog. Default: see {@link BatchingPoolOptions}. */
  readonly pool?: BatchingPoolOptions;
  /** Called with problems that do not stop runs (e.g. no snapshot). Default: `console.warn`. */
  readonly onWarning?: (message: string) => void;
  /**
   * Where runs are recorded (listed, shown, rerun): a {@link Store}, or `false` for none.
   * Default: a {@link MemoryStore} (the last 100 finished runs, as long as the page lives).
   */
  readonly store?: Store | false;
}

function defaultWorker(): Worker {
  return new Worker(new URL("../runtimes/worker/browser-worker.ts", import.meta.url), {
    type: "module",
    name: "sandflow-worker",
  });
}

function absolute(value: string | URL | undefined, fallback: string, field: string): string {
  const base = globalThis.document?.baseURI ?? globalThis.location?.href;
  try {
    return new URL(value ?? fallback, base).href;
  } catch {
    throw new TypeError(`options.assets.${field} must be a URL, got ${JSON.stringify(String(value))}`);
  }
}

/** The absolute asset URLs `options` select. */
export function resolveAssets(assets: BrowserAssets = {}): BrowserAssetUrls {
  const index = absolute(assets.pyodideIndexURL, "pyodide/", "pyodideIndexURL");
  return {
    pyodideIndexURL: index.endsWith("/") ? index : `${index}/`,
    luaWasmURL: absolute(assets.luaWasmURL, "wasm/glue.wasm", "luaWasmURL"),
    busyboxWasmURL: absolute(assets.busyboxWasmURL, "wasm/busybox.wasm", "busyboxWasmURL"),
    quickjsWasmURL: absolute(assets.quickjsWasmURL, "wasm/quickjs.wasm", "quickjsWasmURL"),
  };
}

/**
 * Creates an engine whose steps run in dedicated module Workers. Workers start at once and
 * load an interpreter on first use; they stay warm between runs. Call `engine.close()` to
 * stop them.
 * @throws TypeError naming a bad option, or Error when the page is not cross-origin isolated.
 */
export function createEngine(options: BrowserEngineOptions = {}): Engine {
  if (typeof SharedArrayBuffer === "undefined" || globalThis.crossOriginIsolated === false) {
    throw new Error(
      "sandflow needs a cross-origin isolated page (SharedArrayBuffer): serve it with the headers " +
        "Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp",
    );
  }
  const cores = globalThis.navigator?.hardwareConcurrency ?? 2;
  // Each worker may hold a Pyodide of 100 MB or more: more than 4 by default is rarely worth it.
  const resolved = resolveEngineOptions(options, Math.max(1, Math.min(cores, 4)));
  const assets = resolveAssets(options.assets);
  const createWorker = options.createWorker ?? defaultWorker;
  const onWarning = options.onWarning ?? ((message: string) => console.warn(message));
  const snapshot =
    (options.pyodideSnapshot ?? true)
      ? createSnapshotProvider({
          createWorker,
          assets,
          store: options.snapshotStore ?? cacheStorageStore(),
          onWarning,
        })
      : undefined;
  const transport = new WebWorkerTransport({
    threads: resolved.threads,
    createWorker,
    assets,
    ...(snapshot ? { snapshot } : {}),
  });
  const pool = new BatchingPool(transport, {
    prepareMemoryBytes: resolved.memory * 1048576,
    ...options.pool,
  });
  const store = options.store === false ? undefined : (options.store ?? new MemoryStore());
  return new Engine(
    {
      pool,
      clock: timerClock(globalThis, () => Date.now()),
      newId: () => globalThis.crypto.randomUUID(),
      ...(store ? { store, owner: `browser-${globalThis.crypto.randomUUID()}` } : {}),
      // Workflow files are code: they run in a worker, under a time limit, never on the page.
      luaEvaluator: workerLuaEvaluator((request) => transport.send(request)),
    },
    resolved,
  );
}
