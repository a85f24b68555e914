/**
 * `createEngine()` for Node: a piscina pool of worker threads running the three runtimes,
 * the Lua workflow-file evaluator, and the cached Pyodide snapshot.
 */
import { randomUUID } from "node:crypto";
import { availableParallelism } from "node:os";
import { MemoryStore } from "../core/durable/memory-store.js";
import type { Store } from "../core/durable/store.js";
import { Engine } from "../core/engine.js";
import { type EngineOptions, resolveEngineOptions } from "../core/options.js";
import type { StepPool } from "../core/step-pool.js";
import { timerClock } from "../core/system-clock.js";
import type { BatchingPoolOptions } from "../pool/batching-pool.js";
import { defaultCacheDir, localPoolConfig, localPoolLaunch } from "./pool-launch.js";
import { discardPyodideSnapshot, ensurePyodideSnapshot } from "./pyodide-snapshot.js";
import { runtimeVersions } from "./runtime-versions.js";
import { SandboxedPoolProcess } from "./sandboxed-pool-process.js";
import { processOwner } from "./sqlite-store.js";
import { createThreadPool } from "./thread-pool.js";
import { createWorkerLuaEvaluator } from "./worker-lua-evaluator.js";

export { defaultCacheDir } from "./pool-launch.js";

/** Options of the Node engine: the engine's limits plus where caches live. */
export interface NodeEngineOptions extends EngineOptions {
  /** Folder for the Pyodide snapshot. Default: `$SANDFLOW_CACHE_DIR`, else `.cache` in the package folder. */
  readonly cacheDir?: string;
  /** Start Python from a cached memory snapshot (made on first use). Default: true. */
  readonly pyodideSnapshot?: boolean;
  /** Tuning of batching and the watchdog. Default: see {@link BatchingPoolOptions}. */
  readonly pool?: BatchingPoolOptions;
  /**
   * Where the workers run. `"process"` (the default): in a child process under Node's
   * permission model (reads only the package and the cache; no writes, no child processes,
   * no code generation from strings, an empty environment). `"thread"`: in worker threads
   * of this process, without the process-level fence: for trusted code only.
   */
  readonly isolation?: "process" | "thread";
  /**
   * Told of slow one-off work before a run, so a caller can say why it waits (making the
   * Pyodide snapshot on first use takes a few seconds). Default: nothing is said.
   */
  readonly onNotice?: (message: string) => void;
  /**
   * Where runs are recorded, so they can be listed, shown, resumed and rerun: a
   * {@link Store} (e.g. `new SqliteStore(path)`), or `false` to record nothing.
   * Default: a {@link MemoryStore} (runs last as long as the engine). `engine.close()` closes it.
   */
  readonly store?: Store | false;
  /**
   * Run steps on this pool instead of local workers (e.g. a `RemoteStepPool` of `sandflow
   * worker` processes). Default: a local pool made from the options above.
   */
  readonly stepPool?: StepPool;
}

/** A local pool of sandboxed workers and what it needs before a workflow runs. */
export interface LocalStepPool {
  readonly pool: StepPool;
  /** Makes the Pyodide snapshot on first use when the workflow has Python steps. */
  readonly beforeRun: (workflow: {
    readonly steps: readonly { readonly language: string }[];
  }) => Promise<void>;
}

/**
 * The engine's local pool of sandboxed workers (also what a `sandflow worker` runs steps in).
 * @throws TypeError naming a bad option.
 */
export function createLocalStepPool(
  options: NodeEngineOptions,
  threads: number,
  memoryMb: number,
): LocalStepPool {
  const cacheDir = options.cacheDir ?? defaultCacheDir();
  if (typeof cacheDir !== "string" || cacheDir.length === 0)
    throw new TypeError("options.cacheDir must be a non-empty path");
  const useSnapshot = options.pyodideSnapshot ?? true;
  let snapshotUnavailable = false;
  const isolation = options.isolation ?? "process";
  if (isolation !== "process" && isolation !== "thread") {
    throw new TypeError(`options.isolation must be "process" or "thread", got ${JSON.stringify(isolation)}`);
  }
  const settings = { cacheDir, useSnapshot, threads, memoryMb, pool: options.pool };
  let discarded = false;
  // Workers load Python without a snapshot that did not load; it is dropped here (the pool
  // process may not write) so that the next run makes a good one instead of every engine
  // trying the bad one again.
  const onSnapshotFailed = (message: string) => {
    if (discarded) return;
    discarded = true;
    process.emitWarning(
      `the cached Python snapshot did not load (${message.replace(/\s+/g, " ").trim()}); it was dropped and is made again on the next run`,
      { code: "SANDFLOW_SNAPSHOT_DROPPED" },
    );
    void discardPyodideSnapshot(cacheDir).catch(() => undefined);
  };
  const pool: StepPool =
    isolation === "thread"
      ? createThreadPool(localPoolConfig(settings), onSnapshotFailed)
      : new SandboxedPoolProcess({ ...localPoolLaunch(settings), onSnapshotFailed });
  const beforeRun: LocalStepPool["beforeRun"] = async (workflow) => {
    if (!useSnapshot || snapshotUnavailable || !workflow.steps.some((s) => s.language === "python")) return;
    try {
      await ensurePyodideSnapshot(cacheDir, () =>
        options.onNotice?.("making the Python interpreter snapshot (first run only, a few seconds)"),
      );
    } catch (e) {
      // Python still works without it (the workers load it cold): say so once, go on.
      snapshotUnavailable = true;
      process.emitWarning(
        `Python steps start without a memory snapshot, about 2 s slower per interpreter: ${(e as Error).message}`,
        { code: "SANDFLOW_NO_SNAPSHOT" },
      );
    }
  };
  return { pool, beforeRun };
}

/**
 * Creates an engine with a pool of worker threads. Workers load interpreters on first
 * use (Pyodide only when a workflow has Python steps); call `engine.close()` when done.
 * @throws TypeError naming a bad option.
 */
export function createEngine(options: NodeEngineOptions = {}): Engine {
  const resolved = resolveEngineOptions(options, availableParallelism());
  const local =
    options.stepPool === undefined
      ? createLocalStepPool(options, resolved.threads, resolved.memory)
      : undefined;
  if (options.stepPool !== undefined && typeof options.stepPool?.run !== "function")
    throw new TypeError("options.stepPool must be a StepPool");
  const pool = options.stepPool ?? (local as LocalStepPool).pool;
  if (options.store !== undefined && options.store !== false && typeof options.store?.append !== "function")
    throw new TypeError("options.store must be a Store (e.g. new SqliteStore(path)) or false");
  const store = options.store === false ? undefined : (options.store ?? new MemoryStore());
  return new Engine(
    {
      pool,
      ...(store ? { store, owner: processOwner(randomUUID()), runtimeVersion: runtimeVersions() } : {}),
      clock: timerClock(globalThis, () => Date.now()),
      newId: () => randomUUID(),
      luaEvaluator: createWorkerLuaEvaluator(),
      ...(local ? { beforeRun: local.beforeRun } : {}),
    },
    resolved,
  );
}
