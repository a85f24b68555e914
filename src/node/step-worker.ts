/**
 * The worker side of the step queue: claims step jobs from pg-boss (as many at once as the
 * local pool has threads), runs each in the local sandboxed pool and writes the result
 * fenced by its claim. pg-boss heartbeats the jobs it holds; a worker killed mid-step stops
 * heartbeating and its job is delivered again to another worker.
 */
import type { Job, PgBoss } from "pg-boss";
import type { StepPool } from "../core/step-pool.js";
import {
  claimTask,
  finishTask,
  resolveQueueOptions,
  type StepJobData,
  type StepQueueOptions,
  startBoss,
  taskStates,
} from "./postgres-step-queue.js";
import type { PostgresStore } from "./postgres-store.js";

/** Options of {@link StepWorker.start}. */
export interface StepWorkerOptions extends StepQueueOptions {
  /** The worker's name in the task rows. Default: `host:pid`. */
  readonly name?: string;
  /** Told what the worker does (claimed, finished, superseded). Default: nothing. */
  readonly onEvent?: (message: string) => void;
  /**
   * Seconds between the worker's heartbeats of the steps it holds; keep it below the
   * orchestrators' `heartbeatSeconds`. Default: half of each step's heartbeat limit.
   */
  readonly heartbeatEverySeconds?: number;
  /** Runs before a step of a language runs the first time (e.g. to make the Python snapshot). */
  readonly beforeLanguage?: (language: string) => Promise<void>;
}

/** One worker process's share of the queue. */
export class StepWorker {
  readonly #boss: PgBoss;
  readonly #running = new Map<string, AbortController>();
  readonly #watch: ReturnType<typeof setInterval>;
  /** Steps this worker ran to the end and recorded. */
  completed = 0;

  private constructor(boss: PgBoss, store: PostgresStore) {
    this.#boss = boss;
    // A task the orchestrator cancelled stops here too (its result could not be written anyway).
    this.#watch = setInterval(() => {
      const ids = [...this.#running.keys()];
      if (ids.length === 0) return;
      void taskStates(store, ids)
        .then((states) => {
          for (const s of states) if (s.state === "cancelled") this.#running.get(s.taskId)?.abort();
        })
        .catch(() => undefined);
    }, 2000);
    this.#watch.unref();
  }

  /** Starts claiming jobs; `threads` jobs at most at once. */
  static async start(
    store: PostgresStore,
    pool: StepPool,
    threads: number,
    options: StepWorkerOptions = {},
  ): Promise<StepWorker> {
    const resolved = resolveQueueOptions(options);
    const boss = await startBoss(store, resolved, "worker");
    const worker = new StepWorker(boss, store);
    const name = options.name ?? "worker";
    const say = options.onEvent ?? (() => undefined);
    const prepared = new Set<string>();
    let warned = false;
    const handle = async (jobs: Job<StepJobData>[]) => {
      for (const job of jobs) {
        const taskId = job.data.taskId;
        const every = options.heartbeatEverySeconds;
        if (every && job.heartbeatSeconds && every >= job.heartbeatSeconds && !warned) {
          warned = true;
          say(
            `warning: this worker heartbeats every ${every} s but steps are presumed dead after ${job.heartbeatSeconds} s: lower --heartbeat`,
          );
        }
        const task = await claimTask(store, taskId, job.retryCount, name);
        if (!task) continue;
        say(
          `claimed ${task.runId.slice(0, 8)}/${task.stepId} attempt ${task.attempt} (delivery ${job.retryCount})`,
        );
        if (!prepared.has(task.language)) {
          prepared.add(task.language);
          await options.beforeLanguage?.(task.language);
        }
        const abort = new AbortController();
        worker.#running.set(taskId, abort);
        const onStop = () => abort.abort();
        job.signal.addEventListener("abort", onStop, { once: true });
        try {
          const result = await pool.run(task, { signal: abort.signal });
          const written = await finishTask(store, taskId, job.retryCount, result);
          if (written) worker.completed++;
          say(
            written
              ? `finished ${task.runId.slice(0, 8)}/${task.stepId} (${result.outcome.ok ? "ok" : result.outcome.error.name})`
              : `dropped the result of ${task.runId.slice(0, 8)}/${task.stepId}: a later delivery replaced it`,
          );
        } finally {
          job.signal.removeEventListener("abort", onStop);
          worker.#running.delete(taskId);
        }
      }
    };
    // One pg-boss worker per thread, each fetching again as soon as its step ends (with
    // batchSize 1, pg-boss would otherwise wait out its poll interval after every job).
    for (let i = 0; i < threads; i++) {
      let id: string | undefined;
      id = await boss.work<StepJobData>(
        resolved.queue,
        {
          batchSize: 1,
          pollingIntervalSeconds: 0.5,
          notifyPollingIntervalSeconds: 2,
          ...(options.heartbeatEverySeconds
            ? { heartbeatRefreshSeconds: options.heartbeatEverySeconds }
            : {}),
        },
        async (jobs) => {
          await handle(jobs);
          if (id) boss.notifyWorker(id);
        },
      );
    }
    return worker;
  }

  /** Stops claiming; waits for the steps in hand unless `graceful` is false. */
  async stop(graceful = true): Promise<void> {
    clearInterval(this.#watch);
    await this.#boss.stop({ graceful, timeout: 30_000 }).catch(() => undefined);
  }
}
