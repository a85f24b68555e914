/**
 * A {@link StepPool} whose workers live in a separate Node process started with the
 * permission model (read-only access to the package and the cache, worker threads
 * allowed, nothing else), an empty environment and no code generation from strings.
 * Attempts cross the IPC channel in batches; if the process dies, its attempts fail with
 * WorkerCrashedError and the next attempt starts a new process.
 */
import type { ChildProcess } from "node:child_process";
import type { Language } from "../core/languages.js";
import {
  failedAttempt,
  type StepPool,
  type StepRunOptions,
  type StepTask,
  type StepTaskResult,
} from "../core/step-pool.js";
import type { FromPoolServer, ToPoolServer } from "../protocol/pool-process.js";
import { adoptPoolChild, launchPoolChild, type PoolLaunch } from "./pool-child.js";

/** Where the pool process may read, and how to start it. */
export interface SandboxedPoolProcessOptions extends PoolLaunch {
  /** Told when a worker could not load the cached Pyodide snapshot although it looked whole. */
  readonly onSnapshotFailed?: (message: string) => void;
}

interface Waiting {
  readonly resolve: (result: StepTaskResult) => void;
  readonly onLog: StepRunOptions["onLog"];
  readonly onStart: StepRunOptions["onStart"];
  readonly cleanup: () => void;
  /** When a worker started the attempt, once the process said so. */
  startedAt?: number;
}

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
    // A pool process started early for these settings (the CLI's), else a new one.
    const launched = adoptPoolChild(this.#options) ?? launchPoolChild(this.#options);
    const child = launched.child;
    launched.onMessage = (message) => this.#onMessage(message);
    this.#child = child;
    this.#ready = launched.ready;
    child.once("exit", (code, signal) => this.#onExit(child, code, signal));
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
      const w = this.#waiting.get(id);
      if (!w) continue;
      w.startedAt = at;
      const onStart = w.onStart;
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
    for (const [id, w] of [...this.#waiting]) {
      // The attempt lasted from its start until the crash, as with a worker thread that dies.
      const message = `the sandbox process exited (${why}) while the step ran`;
      this.#settle(id, failedAttempt("WorkerCrashedError", message, now, w.startedAt));
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
