/**
 * Starting the isolated pool process: at once when a pool needs it, or early, before the
 * caller's own modules load (the CLI does this for `sandflow run`), so that its start and
 * its workers' start overlap the caller's. A pool made later with the same launch settings
 * adopts the early process; with other settings the early process is stopped.
 */
import { type ChildProcess, fork } from "node:child_process";
import type { FromPoolServer, PoolServerConfig } from "../protocol/pool-process.js";

/** Where the pool process may read, and how to start it. */
export interface PoolLaunch {
  readonly serverEntry: string;
  readonly readablePaths: readonly string[];
  readonly config: PoolServerConfig;
}

/** The permission flags of the pool process. */
export function permissionFlags(readablePaths: readonly string[]): string[] {
  return [
    "--permission",
    ...readablePaths.map((p) => `--allow-fs-read=${p}`),
    "--allow-worker",
    "--disallow-code-generation-from-strings",
    "--disable-warning=PERM0006",
  ];
}

/**
 * V8 flags of the pool process. Its isolates (the pool's main thread and each worker)
 * allocate fast and short-lived objects for every step; with V8's default, each young
 * generation grows to over 100 MB while the live heap stays near 20 MB, so the process's
 * RSS grew by about 400 MB during a soak of 100,000 steps. 8 MB semi-spaces keep it flat at
 * no measurable cost in throughput.
 */
export const POOL_HEAP_FLAGS: readonly string[] = ["--max-semi-space-size=8"];

/**
 * V8 flags of the pool process for the interpreters' WebAssembly. With V8's default, a
 * function hot enough for the optimizing compiler goes on in the baseline tier while a
 * helper thread compiles it, and wasm has no on-stack replacement: CPython's eval loop
 * runs a whole step in one call, and on a fresh pool the first CPU-bound step of each
 * worker, two at once, often took 1.0 to 2.1 s instead of 0.55 (all of it in the worker
 * threads). `--wasm-sync-tier-up` compiles on the thread that made the function hot, at
 * once: CPU-bound Python fan-out about 1.7x instead of 1.3x, for about 0.1 s more on the
 * first Python loads of a process (bench/PROFILE.md, 2026-12-07).
 */
export const POOL_WASM_FLAGS: readonly string[] = ["--wasm-sync-tier-up"];

/** A started pool process. */
export interface PoolChild {
  readonly child: ChildProcess;
  /** Settles when the process says it is ready; rejects if it fails to start or exits first. */
  readonly ready: Promise<ChildProcess>;
  /** Where the process's messages after "ready" go (set by the pool that owns it). */
  onMessage: (message: FromPoolServer) => void;
}

/** Forks the pool process. */
export function launchPoolChild(launch: PoolLaunch): PoolChild {
  const child = fork(launch.serverEntry, [JSON.stringify(launch.config)], {
    execArgv: [...permissionFlags(launch.readablePaths), ...POOL_HEAP_FLAGS, ...POOL_WASM_FLAGS],
    env: {},
    stdio: ["ignore", "ignore", "inherit", "ipc"],
    serialization: "advanced",
  });
  let onMessage: PoolChild["onMessage"] = () => {};
  const ready = new Promise<ChildProcess>((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", (code) =>
      reject(new Error(`the sandbox process exited with code ${code} while starting`)),
    );
    child.on("message", (message: FromPoolServer) => {
      if (message.type === "ready") resolve(child);
      else onMessage(message);
    });
  });
  ready.catch(() => {});
  return {
    child,
    ready,
    get onMessage() {
      return onMessage;
    },
    set onMessage(f) {
      onMessage = f;
    },
  };
}

function launchKey(launch: PoolLaunch): string {
  return JSON.stringify([launch.serverEntry, launch.readablePaths, launch.config]);
}

let early: { readonly key: string; readonly pool: PoolChild } | undefined;

/**
 * Starts a pool process for a pool not made yet ({@link adoptPoolChild} hands it over).
 * Until then it does not keep this process alive: if this process ends first (a bad
 * workflow file, a usage error), the pool process exits when its channel closes.
 * @returns the process, or undefined when one was started early before.
 */
export function prestartPoolChild(launch: PoolLaunch): ChildProcess | undefined {
  if (early) return undefined;
  const pool = launchPoolChild(launch);
  pool.child.unref();
  pool.child.channel?.unref();
  early = { key: launchKey(launch), pool };
  return pool.child;
}

/**
 * The pool process {@link prestartPoolChild} started, if it was started with `launch` and
 * is still alive; an early process started otherwise is stopped. Each is handed over once.
 */
export function adoptPoolChild(launch: PoolLaunch): PoolChild | undefined {
  const taken = early;
  early = undefined;
  if (!taken) return undefined;
  const { child } = taken.pool;
  if (taken.key !== launchKey(launch) || !child.connected || child.exitCode !== null) {
    child.kill();
    return undefined;
  }
  child.ref();
  child.channel?.ref();
  return taken.pool;
}
