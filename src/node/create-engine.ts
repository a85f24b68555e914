/**
 * `createEngine()` for Node: a piscina pool of worker threads running the three runtimes,
 * the Lua workflow-file evaluator, and the cached Pyodide snapshot.
 */
import { randomUUID } from "node:crypto";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { LuaFactory } from "wasmoon";
import { createLuaWorkflowEvaluator } from "../../runtimes/lua/workflow-evaluator.js";
import type { NodeWorkerData } from "../../runtimes/worker/node-worker.js";
import { Engine } from "../core/engine.js";
import { type EngineOptions, resolveEngineOptions } from "../core/options.js";
import { timerClock } from "../core/system-clock.js";
import { BatchingPool, type BatchingPoolOptions } from "../pool/batching-pool.js";
import { PiscinaTransport } from "../pool/piscina-transport.js";
import { BUSYBOX_WASM, PACKAGE_ROOT, workerEntry } from "./package-paths.js";
import { ensurePyodideSnapshot, snapshotFileName } from "./pyodide-snapshot.js";

/** Options of the Node engine: the engine's limits plus where caches live. */
export interface NodeEngineOptions extends EngineOptions {
  /** Folder for the Pyodide snapshot. Default: `$SANDFLOW_CACHE_DIR`, else `.cache` in the package folder. */
  readonly cacheDir?: string;
  /** Start Python from a cached memory snapshot (made on first use). Default: true. */
  readonly pyodideSnapshot?: boolean;
  /** Tuning of batching and the watchdog. Default: see {@link BatchingPoolOptions}. */
  readonly pool?: BatchingPoolOptions;
}

/** The default cache folder. */
export function defaultCacheDir(): string {
  return process.env.SANDFLOW_CACHE_DIR || join(PACKAGE_ROOT, ".cache");
}

/**
 * Creates an engine with a pool of worker threads. Workers load interpreters on first
 * use (Pyodide only when a workflow has Python steps); call `engine.close()` when done.
 * @throws TypeError naming a bad option.
 */
export function createEngine(options: NodeEngineOptions = {}): Engine {
  const resolved = resolveEngineOptions(options, availableParallelism());
  const cacheDir = options.cacheDir ?? defaultCacheDir();
  if (typeof cacheDir !== "string" || cacheDir.length === 0)
    throw new TypeError("options.cacheDir must be a non-empty path");
  const useSnapshot = options.pyodideSnapshot ?? true;
  const workerData: NodeWorkerData = {
    busyboxWasmPath: BUSYBOX_WASM,
    ...(useSnapshot ? { pyodideSnapshotPath: join(cacheDir, snapshotFileName()) } : {}),
  };
  const transport = new PiscinaTransport({
    filename: workerEntry("node-worker"),
    threads: resolved.threads,
    workerData,
  });
  const pool = new BatchingPool(transport, {
    prepareMemoryBytes: resolved.memory * 1048576,
    ...options.pool,
  });
  return new Engine(
    {
      pool,
      clock: timerClock(globalThis, () => Date.now()),
      newId: () => randomUUID(),
      luaEvaluator: createLuaWorkflowEvaluator(() => new LuaFactory()),
      beforeRun: async (workflow) => {
        if (useSnapshot && workflow.steps.some((s) => s.language === "python"))
          await ensurePyodideSnapshot(cacheDir);
      },
    },
    resolved,
  );
}
