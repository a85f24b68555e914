/**
 * The seam between the scheduler and the workers that run steps. A Node pool (piscina,
 * optionally in an isolated child process) and a browser pool (Web Workers) implement it.
 */
import type { SerializedError } from "./errors.js";
import type { FileChanges, FileTree } from "./file-tree.js";
import type { Language } from "./languages.js";
import type { NetAccess } from "./net-grant.js";
import type { CancelSignal } from "./platform.js";

/** Bounds for one step attempt; sizes in bytes. */
export interface StepTaskLimits {
  readonly memoryBytes: number;
  readonly outputBytes: number;
  readonly resultBytes: number;
  readonly processes: number;
  readonly workspaceBytes: number;
}

/** One step attempt, as sent to a worker. */
export interface StepTask {
  readonly runId: string;
  readonly stepId: string;
  readonly attempt: number;
  readonly language: Language;
  readonly code: string;
  readonly codeHash: string;
  /** JSON object text: the outputs of the direct dependencies keyed by step id. */
  readonly inputsJson: string;
  /**
   * JSON object text of what a step sees besides its inputs: `params` (the run's params)
   * and, in a for-each step, `item` and `index`. Absent: no params, no item.
   */
  readonly contextJson?: string;
  readonly env: Readonly<Record<string, string>>;
  readonly files: FileTree;
  readonly limits: StepTaskLimits;
  /** Milliseconds the attempt may run, counted from when a worker starts it. */
  readonly timeoutMs: number;
  /** The hosts the step may reach through the host's fetch, with its bounds; absent: no network. */
  readonly net?: NetAccess;
}

/** What came of one step attempt. Step failures are values here, never rejections. */
export interface StepTaskResult {
  readonly outcome:
    | { readonly ok: true; readonly outputJson: string }
    | { readonly ok: false; readonly error: SerializedError };
  readonly changes: FileChanges;
  readonly stdout: string;
  readonly stderr: string;
  /** Epoch milliseconds when a worker started and finished the attempt. */
  readonly startedAt: number;
  readonly finishedAt: number;
}

/**
 * The result of an attempt that failed before or outside its step's code (nothing printed,
 * no files), ended at `at`; `startedAt` when it had started (default: `at`, it never ran).
 */
export function failedAttempt(name: string, message: string, at: number, startedAt = at): StepTaskResult {
  return {
    outcome: { ok: false, error: { name, message } },
    changes: { upserts: {}, deletes: [] },
    stdout: "",
    stderr: "",
    startedAt,
    finishedAt: at,
  };
}

/** Per-call options of {@link StepPool.run}. */
export interface StepRunOptions {
  /** Aborting stops the attempt (soft interrupt, then the worker is replaced). */
  readonly signal?: CancelSignal;
  /** Live output while the attempt runs (the result still carries all of it). */
  readonly onLog?: (stream: "stdout" | "stderr", text: string) => void;
  /**
   * Called once when a worker starts the attempt (epoch ms, the result's `startedAt`),
   * before any `onLog` and before the promise resolves; not for an attempt no worker
   * started (cancelled while queued). A pool whose queue is longer than its workers calls
   * it later than `run`.
   */
  readonly onStart?: (startedAt: number) => void;
}

/** Runs step attempts on warm workers. */
export interface StepPool {
  /** Number of workers. */
  readonly threads: number;
  /**
   * Runs one attempt. Resolves with the outcome, including timeouts, crashes and
   * cancellation (as error values). Rejects only when the pool is closed.
   */
  run(task: StepTask, options?: StepRunOptions): Promise<StepTaskResult>;
  /** Loads the interpreters for `languages` in every worker ahead of the first step. */
  prepare(languages: ReadonlySet<Language>): Promise<void>;
  /**
   * Tells the workers a run has ended, so they replace the interpreters it used (in the
   * background) and no state of it reaches another run. Optional.
   */
  endRun?(runId: string): void;
  /** Stops the workers; pending and later calls reject. */
  close(): Promise<void>;
}

/** `pool` with its `run` replaced: how a run's pool adds its checks (every other member is the pool's own). */
export function withRun(pool: StepPool, run: StepPool["run"]): StepPool {
  return new Proxy(pool, {
    get: (target, key) => {
      if (key === "run") return run;
      const value = Reflect.get(target, key, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}
