/**
 * A {@link StepPool} whose workers live in a separate Node process started with the
 * permission model (read-only access to the package and the cache, worker threads
 * allowed, nothing else), an empty environment and no code generation from strings.
 * Attempts cross the IPC channel in batches; if the process dies, its attempts fail with
 * WorkerCrashedError and the next attempt starts a new process.
 */
import { type ChildProcess, fork } from "node:child_process";
import type { Language } from "../core/languages.js";
import {
  failedAttempt,
  type StepPool,
  type StepRunOptions,
  type StepTask,
  type StepTaskResult,
} from "../core/step-pool.js";
import type { FromPoolServer, PoolServerConfig, ToPoolServer } from "../protocol/pool-process.js";

/** Where the pool process may read, and how to start it. */
export interface SandboxedPoolProcessOptions {
  readonly serverEntry: string;
  readonly readablePaths: readonly string[];
  readonly config: PoolServerConfig;
  /** Told when a worker could not load the cached Pyodide snapshot although it looked whole. */
  readonly onSnapshotFailed?: (message: string) => void;
}

interface Waiting {
  readonly resolve: (result: StepTaskResult) => void;
  readonly onLog: StepRunOptions["onLog"];
  readonly onStart: StepRunOptions["onStart"];
  readonly cleanup: () => void;
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

/** Steps run in worker threads of an isolated child process. */
export class SandboxedPoolProcess implements StepPool {
  readonly threads: number;
  readonly #options: SandboxedPoolProcessOptions;
  readonly #waiting = new Map<number, Waiting>();
  readonly #preparing = new Map<number, { resolve: () => void; reject: (e: Error) => void }>();
  #child: ChildProcess | undefined;
  #ready: Promise<ChildProcess> | undefined;
  #nextId = 1;
  #outgoing: { id: number; task: StepTask; start?: true }[] = [];
  #cancels: number[] = [];
  #flushScheduled = false;
  #closed = false;

  /** Starts the pool process at once, so its start overlaps whatever the caller does next. */
  constructor(options: SandboxedPoolProcessOptions) {
    this.#options = options;
    this.threads = options.config.threads;
    this.#start().catch(() => {
      // Reported to the first run or prepare that needs the process.
    });
  }

  #start(): Promise<ChildProcess> {
    if (this.#ready) return this.#ready;
    const child = fork(this.#options.serverEntry, [JSON.stringify(this.#options.config)], {
      execArgv: [...permissionFlags(this.#options.readablePaths), ...POOL_HEAP_FLAGS, ...POOL_WASM_FLAGS],
      env: {},
      stdio: ["ignore", "ignore", "inherit", "ipc"],
      serialization: "advanced",
    });
    this.#child = child;
    this.#ready = new Promise((resolve, reject) => {
      child.once("error", reject);
      child.once("exit", (code) =>
        reject(new Error(`the sandbox process exited with code ${code} while starting`)),
      );
      child.on("message", (message: FromPoolServer) => {
        if (message.type === "ready") resolve(child);
        else this.#onMessage(message);
      });
    });
    child.once("exit", (code, signal) => this.#onExit(child, code, signal));
    this.#ready.catch(() => {});
    return this.#ready;
  }

  #onMessage(message: FromPoolServer): void {
    if (message.type === "snapshot-failed") {
      this.#options.onSnapshotFailed?.(message.message);
      return;
    }
    if (message.type === "prepared") {
      const p = this.#preparing.get(message.id);
      this.#preparing.delete(message.id);
      if (message.error) p?.reject(new Error(message.error));
      else p?.resolve();
      return;
    }
    if (message.type !== "results") return;
    // Each attempt's start, then its logs, then its result; the attempts that ended first,
    // so one that started after another ended is not told as started before that end: the
    // others are told after the callers' reactions to these results (microtasks queued by
    // #settle), with the callbacks found now (IPC may hand over the next message, which
    // may settle them, before any microtask runs).
    const ended = new Set(message.results.map((r) => r.id));
    const later: (() => void)[] = [];
    const tell = (id: number, f: () => void) => {
      if (ended.has(id)) f();
      else later.push(f);
    };
    for (const { id, at } of message.starts) {
      const onStart = this.#waiting.get(id)?.onStart;
      if (onStart) tell(id, () => onStart(at));
    }
    for (const { id, stream, text } of message.logs) {
      const onLog = this.#waiting.get(id)?.onLog;
      if (onLog) tell(id, () => onLog(stream, text));
    }
    for (const { id, result } of message.results) this.#settle(id, result);
    if (later.length > 0)
      queueMicrotask(() => {
        for (const f of later) f();
      });
  }

  #settle(id: number, result: StepTaskResult): void {
    const w = this.#waiting.get(id);
    if (!w) return;
    this.#waiting.delete(id);
    w.cleanup();
    w.resolve(result);
  }

  #onExit(child: ChildProcess, code: number | null, signal: string | null): void {
    if (this.#child !== child) return;
    this.#child = undefined;
    this.#ready = undefined;
    const now = Date.now();
    const why = signal ? `signal ${signal}` : `code ${code}`;
    for (const id of [...this.#waiting.keys()]) {
      this.#settle(
        id,
        failedAttempt("WorkerCrashedError", `the sandbox process exited (${why}) while the step ran`, now),
      );
    }
    for (const p of this.#preparing.values()) p.reject(new Error(`the sandbox process exited (${why})`));
    this.#preparing.clear();
  }

  #send(message: ToPoolServer): void {
    this.#start().then(
      (child) => child.send(message),
      () => {},
    );
  }

  #scheduleFlush(): void {
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    queueMicrotask(() => {
      this.#flushScheduled = false;
      if (this.#outgoing.length > 0) this.#send({ type: "run", items: this.#outgoing });
      if (this.#cancels.length > 0) this.#send({ type: "cancel", ids: this.#cancels });
      this.#outgoing = [];
      this.#cancels = [];
    });
  }

  run(task: StepTask, options: StepRunOptions = {}): Promise<StepTaskResult> {
    if (this.#closed) return Promise.reject(new Error("the step pool is closed"));
    const id = this.#nextId++;
    return new Promise((resolve) => {
      const signal = options.signal;
      const onAbort = () => {
        this.#cancels.push(id);
        this.#scheduleFlush();
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#waiting.set(id, {
        resolve,
        onLog: options.onLog,
        onStart: options.onStart,
        cleanup: () => signal?.removeEventListener("abort", onAbort),
      });
      this.#outgoing.push(options.onStart ? { id, task, start: true } : { id, task });
      this.#scheduleFlush();
      this.#start().catch((e: Error) => {
        const now = Date.now();
        this.#settle(
          id,
          failedAttempt("WorkerCrashedError", `the sandbox process could not start: ${e.message}`, now),
        );
      });
    });
  }

  prepare(languages: ReadonlySet<Language>): Promise<void> {
    const id = this.#nextId++;
    return new Promise<void>((resolve, reject) => {
      this.#preparing.set(id, { resolve, reject });
      this.#start().then(
        (child) => child.send({ type: "prepare", id, languages: [...languages] } satisfies ToPoolServer),
        (e: Error) => {
          this.#preparing.delete(id);
          reject(e);
        },
      );
    });
  }

  endRun(runId: string): void {
    if (this.#child?.connected) this.#child.send({ type: "end-run", runId } satisfies ToPoolServer);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const child = this.#child;
    if (!child) return;
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    if (child.connected) child.send({ type: "close" } satisfies ToPoolServer);
    const timer = setTimeout(() => child.kill("SIGKILL"), 3000);
    await exited;
    clearTimeout(timer);
  }
}
