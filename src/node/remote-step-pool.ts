/**
 * A {@link StepPool} whose steps run on `sandflow worker` processes, through the Postgres
 * step queue: `run` records the task, sends its job, and waits for the result row, woken by
 * NOTIFY (and a poll, which also covers a listener reconnecting after a database restart).
 */
import { randomUUID } from "node:crypto";
import pg from "pg";
import type { PgBoss } from "pg-boss";
import {
  failedAttempt,
  type StepPool,
  type StepRunOptions,
  type StepTask,
  type StepTaskResult,
} from "../core/step-pool.js";
import { isTransient } from "./postgres-connection.js";
import {
  cancelOrphans,
  cancelTask,
  insertTask,
  resolveQueueOptions,
  type StepJobData,
  type StepQueueOptions,
  startBoss,
  taskChannel,
  taskResult,
  taskStates,
} from "./postgres-step-queue.js";
import type { PostgresStore } from "./postgres-store.js";

/** Options of {@link RemoteStepPool}. */
export interface RemoteStepPoolOptions extends StepQueueOptions {
  /** Milliseconds between polls of the waiting steps (NOTIFY wakes it sooner). Default: 2000. */
  readonly pollMs?: number;
}

interface Waiter {
  readonly task: StepTask;
  readonly resolve: (result: StepTaskResult) => void;
  readonly onStart: ((startedAt: number) => void) | undefined;
  started: boolean;
  settling: boolean;
  /** Its job was sent (the job's id is the task's). */
  sent?: boolean;
}

/** Runs steps on remote workers. Create it with {@link RemoteStepPool.open}. */
export class RemoteStepPool implements StepPool {
  /** Nominal: the workers' threads are theirs; the run's concurrency bounds what is queued. */
  readonly threads = 1;
  readonly #store: PostgresStore;
  readonly #boss: PgBoss;
  readonly #queue: string;
  readonly #heartbeatSeconds: number;
  readonly #waiting = new Map<string, Waiter>();
  readonly #dirty = new Set<string>();
  /**
   * Runs this pool has queued steps of: the sweep of their orphans, done once per run before
   * any of its steps is queued (a step queued during the sweep would be taken for an orphan).
   */
  readonly #runs = new Map<string, Promise<void>>();
  #polls = 0;
  #listener: pg.Client | undefined;
  #poll: ReturnType<typeof setInterval>;
  #checking = false;
  #closed = false;

  private constructor(store: PostgresStore, boss: PgBoss, queue: Required<StepQueueOptions>, pollMs: number) {
    this.#store = store;
    this.#heartbeatSeconds = queue.heartbeatSeconds;
    this.#boss = boss;
    this.#queue = queue.queue;
    this.#poll = setInterval(() => {
      this.#check([...this.#waiting.keys()]);
      // Rarely: the jobs themselves (a query per waiting step).
      if (++this.#polls % 10 === 0) void this.#checkJobs().catch(() => undefined);
    }, pollMs);
    this.#poll.unref();
  }

  /** Connects to the queue (creating it if needed) and starts listening for results. */
  static async open(store: PostgresStore, options: RemoteStepPoolOptions = {}): Promise<RemoteStepPool> {
    const resolved = resolveQueueOptions(options);
    const pollMs = options.pollMs ?? 2000;
    if (!Number.isFinite(pollMs) || pollMs < 10)
      throw new TypeError(`options.pollMs must be at least 10, got ${pollMs}`);
    const boss = await startBoss(store, resolved, "orchestrator");
    const pool = new RemoteStepPool(store, boss, resolved, pollMs);
    try {
      await pool.#listen();
    } catch (e) {
      await pool.close();
      throw e;
    }
    return pool;
  }

  async run(task: StepTask, options: StepRunOptions = {}): Promise<StepTaskResult> {
    if (this.#closed) throw new Error("the remote step pool is closed");
    if (options.signal?.aborted)
      return failedAttempt("StepCancelledError", "the run was cancelled before the step started", Date.now());
    const taskId = randomUUID();
    const done = new Promise<StepTaskResult>((resolve) => {
      this.#waiting.set(taskId, { task, resolve, onStart: options.onStart, started: false, settling: false });
    });
    const onAbort = () => void this.#cancel(taskId);
    options.signal?.addEventListener("abort", onAbort, { once: true });
    try {
      let swept = this.#runs.get(task.runId);
      if (!swept) {
        swept = this.#cancelOrphans(task.runId);
        this.#runs.set(task.runId, swept);
        swept.catch(() => this.#runs.delete(task.runId));
      }
      await swept;
      await insertTask(this.#store, taskId, task);
      await this.#send(taskId);
      const waiter = this.#waiting.get(taskId);
      if (waiter) waiter.sent = true;
      if (options.signal?.aborted) void this.#cancel(taskId);
    } catch (e) {
      this.#settle(
        taskId,
        failedAttempt("StepQueueError", `cannot queue the step: ${(e as Error).message}`, Date.now()),
      );
    }
    try {
      return await done;
    } finally {
      options.signal?.removeEventListener("abort", onAbort);
    }
  }

  /** Workers load their interpreters themselves. */
  async prepare(): Promise<void> {}

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#poll);
    for (const taskId of [...this.#waiting.keys()])
      this.#settle(
        taskId,
        failedAttempt("StepCancelledError", "the engine was closed before the step ended", Date.now()),
      );
    await this.#listener?.end().catch(() => undefined);
    await this.#boss.stop({ graceful: false, timeout: 1000 }).catch(() => undefined);
  }

  /** A run taken over: the steps its dead orchestrator queued are not waited for by anyone. */
  async #cancelOrphans(runId: string): Promise<void> {
    const mine = [...this.#waiting].filter(([, w]) => w.sent && w.task.runId === runId).map(([id]) => id);
    const jobs = await cancelOrphans(this.#store, runId, mine);
    if (jobs.length > 0) await this.#boss.cancel(this.#queue, jobs).catch(() => undefined);
  }

  /**
   * Steps whose job pg-boss gave up on (its workers died on every delivery, or it was
   * cancelled from outside) end as failed attempts instead of being waited for forever.
   */
  async #checkJobs(): Promise<void> {
    for (const [taskId, waiter] of this.#waiting) {
      if (waiter.settling || !waiter.sent) continue;
      const [job] = await this.#boss.findJobs(this.#queue, { id: taskId });
      if (job?.state === "failed" || job?.state === "cancelled")
        this.#settle(
          taskId,
          failedAttempt(
            "StepWorkerLostError",
            `the step's queue job was ${job.state} after ${job.retryCount + 1} deliveries (its workers stopped heartbeating each time, or it was cancelled outside sandflow)`,
            Date.now(),
          ),
        );
    }
  }

  /** Sends a task's job, retrying while the database is away (a restart). */
  async #send(taskId: string): Promise<string | null> {
    const start = Date.now();
    for (let round = 0; ; round++) {
      try {
        return await this.#boss.send(this.#queue, { taskId } satisfies StepJobData, {
          id: taskId,
          heartbeatSeconds: this.#heartbeatSeconds,
        });
      } catch (e) {
        if (!isTransient(e) || Date.now() - start > 60_000 || this.#closed) throw e;
        await new Promise((r) => setTimeout(r, Math.min(100 * 2 ** round, 2000)));
      }
    }
  }

  async #cancel(taskId: string): Promise<void> {
    const waiter = this.#waiting.get(taskId);
    if (!waiter || waiter.settling) return;
    waiter.settling = true;
    try {
      if (await cancelTask(this.#store, taskId))
        await this.#boss.cancel(this.#queue, taskId).catch(() => undefined);
    } catch {
      // The task is settled below whatever the store says: the run is being cancelled.
    }
    this.#settle(
      taskId,
      failedAttempt("StepCancelledError", "the step was stopped because the run was cancelled", Date.now()),
    );
  }

  #settle(taskId: string, result: StepTaskResult): void {
    const waiter = this.#waiting.get(taskId);
    if (!waiter) return;
    this.#waiting.delete(taskId);
    if (!waiter.started && waiter.onStart && result.outcome.ok) waiter.onStart(result.startedAt);
    waiter.resolve(result);
  }

  /** Looks at tasks (those NOTIFY named, or all on a poll); one check at a time, batched. */
  #check(taskIds: readonly string[]): void {
    for (const id of taskIds) if (this.#waiting.has(id)) this.#dirty.add(id);
    if (this.#checking || this.#dirty.size === 0 || this.#closed) return;
    this.#checking = true;
    const ids = [...this.#dirty];
    this.#dirty.clear();
    void this.#checkNow(ids)
      .catch(() => {
        for (const id of ids) if (this.#waiting.has(id)) this.#dirty.add(id);
      })
      .finally(() => {
        this.#checking = false;
        if (this.#dirty.size > 0) setTimeout(() => this.#check([]), this.#dirty.size > 0 ? 20 : 0).unref();
      });
  }

  async #checkNow(ids: readonly string[]): Promise<void> {
    for (const state of await taskStates(this.#store, ids)) {
      const waiter = this.#waiting.get(state.taskId);
      if (!waiter || waiter.settling) continue;
      if (state.startedAt !== null && !waiter.started) {
        waiter.started = true;
        waiter.onStart?.(state.startedAt);
      }
      if (state.state === "cancelled") {
        // Not by this pool (its own cancels settle at once): another orchestrator took the run over.
        this.#settle(
          state.taskId,
          failedAttempt(
            "StepCancelledError",
            "the step was cancelled in the queue by another orchestrator of the run",
            Date.now(),
          ),
        );
        continue;
      }
      if (state.state === "done") {
        waiter.settling = true;
        const result = await taskResult(this.#store, state.taskId).catch((e: Error) => e);
        if (result instanceof Error || result === undefined) {
          waiter.settling = false;
          if (result instanceof Error && !isTransient(result)) throw result;
          continue;
        }
        this.#settle(state.taskId, result);
      }
    }
  }

  async #listen(): Promise<void> {
    if (this.#closed) return;
    const client = new pg.Client({ connectionString: this.#store.url });
    const again = () => {
      if (this.#listener !== client) return;
      this.#listener = undefined;
      client.end().catch(() => undefined);
      setTimeout(() => void this.#listen().catch(() => undefined), 500).unref();
    };
    client.on("error", again);
    client.on("end", again);
    client.on("notification", (n) => {
      if (n.payload) this.#check([n.payload]);
    });
    this.#listener = client;
    try {
      await client.connect();
      await client.query(`LISTEN ${taskChannel(this.#store)}`);
    } catch (e) {
      again();
      if (!isTransient(e)) throw e;
      return;
    }
    // What finished while no one listened.
    this.#check([...this.#waiting.keys()]);
  }
}
