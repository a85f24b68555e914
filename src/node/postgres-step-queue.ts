/**
 * The step queue of a scale-out deployment: step attempts are rows of `step_tasks` (the
 * task, its files as blobs, later its result) and jobs of a pg-boss queue that workers
 * claim. pg-boss retries a job whose worker stopped heartbeating; the job's `retryCount` is
 * the claim number that fences results: a worker writes its result only while its claim is
 * the task's latest, so a worker presumed dead cannot overwrite the attempt that replaced it.
 */

import type { PoolClient } from "pg";
import { PgBoss } from "pg-boss";
import type { StepTask, StepTaskResult } from "../core/step-pool.js";
import type { PostgresStore } from "./postgres-store.js";
import type { StoredFiles } from "./run-rows.js";

/** Options of the step queue, shared by orchestrators and workers. */
export interface StepQueueOptions {
  /** The pg-boss queue steps go through. Default: `"sandflow-steps"`. */
  readonly queue?: string;
  /**
   * Seconds without a heartbeat after which a worker is presumed dead and its step runs
   * again elsewhere (at least 10, pg-boss's minimum). Default: 30.
   */
  readonly heartbeatSeconds?: number;
}

/** Resolved {@link StepQueueOptions}. @throws TypeError naming a bad option. */
export function resolveQueueOptions(options: StepQueueOptions): Required<StepQueueOptions> {
  const queue = options.queue ?? "sandflow-steps";
  if (!/^[\w.-]{1,100}$/.test(queue))
    throw new TypeError(
      `options.queue must be letters, digits, '_', '-' or '.', got ${JSON.stringify(queue)}`,
    );
  const heartbeatSeconds = options.heartbeatSeconds ?? 30;
  if (!Number.isInteger(heartbeatSeconds) || heartbeatSeconds < 10 || heartbeatSeconds > 3600)
    throw new TypeError(
      `options.heartbeatSeconds must be a whole number from 10 to 3600, got ${heartbeatSeconds}`,
    );
  return { queue, heartbeatSeconds };
}

/** What a job carries: the task row to run. */
export interface StepJobData {
  readonly taskId: string;
}

/** The task row's body: the task with its files as blob hashes. */
type StoredTask = Omit<StepTask, "files"> & { files: Record<string, string | null> };
/** The result row's body: the result with its file changes as blob hashes. */
type StoredResult = Omit<StepTaskResult, "changes"> & { changes: StoredFiles };

/** The NOTIFY channel of task state changes (payload: the task id). */
export function taskChannel(store: PostgresStore): string {
  return `${store.schema}_step_tasks`;
}

/**
 * Starts pg-boss on the store's database (its own schema beside the store's) and makes sure
 * the queue exists. The monitor runs often enough to notice a dead worker within the heartbeat.
 */
export async function startBoss(
  store: PostgresStore,
  options: Required<StepQueueOptions>,
  role: "orchestrator" | "worker",
): Promise<PgBoss> {
  await store.ready();
  const check = Math.max(1, Math.floor(options.heartbeatSeconds / 5));
  const boss = new PgBoss({
    connectionString: store.url,
    schema: `${store.schema}_queue`,
    useListenNotify: true,
    monitorIntervalSeconds: check,
    superviseIntervalSeconds: check,
    instanceName: `sandflow-${role}`,
    max: 4,
  });
  // Errors of its background loops (a database restart) are retried by pg-boss itself.
  boss.on("error", () => undefined);
  await boss.start();
  const queueOptions = {
    heartbeatSeconds: options.heartbeatSeconds,
    retryLimit: 20,
    retryDelay: 0,
    expireInSeconds: 24 * 3600 - 60,
    notify: true,
  };
  if (!(await boss.getQueue(options.queue))) await boss.createQueue(options.queue, queueOptions);
  else if (role === "worker")
    await boss.updateQueue(options.queue, { heartbeatSeconds: options.heartbeatSeconds });
  return boss;
}

/** Records a task (files as blobs) before its job (whose id is the task's) is sent. */
export async function insertTask(store: PostgresStore, taskId: string, task: StepTask): Promise<void> {
  let hasFiles = false;
  for (const path in task.files) if (task.files[path] !== null) hasFiles = true;
  await store.use(
    `queueing step ${task.stepId}`,
    async (c) => {
      const files = await store.putTree(c, task.files);
      const body: StoredTask = { ...task, files };
      await c.query(
        `INSERT INTO ${store.table("step_tasks")} (task_id, run_id, step_id, attempt, body, state, created_at)
         VALUES ($1, $2, $3, $4, $5, 'queued', $6)`,
        [taskId, task.runId, task.stepId, task.attempt, JSON.stringify(body), Date.now()],
      );
    },
    hasFiles,
  );
}

/**
 * Claims a task for a worker with claim number `claim` (the job's retry count); the task
 * with its files, or `undefined` when it is finished, cancelled or claimed by a later delivery.
 */
export async function claimTask(
  store: PostgresStore,
  taskId: string,
  claim: number,
  worker: string,
): Promise<StepTask | undefined> {
  return store.use(
    "claiming a step",
    async (c) => {
      const row = (
        await c.query(
          `UPDATE ${store.table("step_tasks")} SET claim = $2, worker = $3, started_at = $4
           WHERE task_id = $1 AND state = 'queued' AND (claim IS NULL OR claim < $2) RETURNING body`,
          [taskId, claim, worker, Date.now()],
        )
      ).rows[0] as { body: string } | undefined;
      if (!row) return undefined;
      await notify(c, store, taskId);
      const body = JSON.parse(row.body) as StoredTask;
      const blobs = await store.getBlobs(c, Object.values(body.files));
      return { ...body, files: store.treeFrom(body.files, blobs, `step ${body.stepId}`) };
    },
    true,
  );
}

/** Writes a task's result if `claim` is still the task's latest; false when it was superseded. */
export async function finishTask(
  store: PostgresStore,
  taskId: string,
  claim: number,
  result: StepTaskResult,
): Promise<boolean> {
  return store.use(
    "writing a step result",
    async (c) => {
      const stored: StoredResult = { ...result, changes: await store.putFiles(c, result.changes) };
      const updated = await c.query(
        `UPDATE ${store.table("step_tasks")} SET state = 'done', result = $3
         WHERE task_id = $1 AND claim = $2 AND state = 'queued'`,
        [taskId, claim, JSON.stringify(stored)],
      );
      if (updated.rowCount !== 1) return false;
      await notify(c, store, taskId);
      return true;
    },
    true,
  );
}

/** Marks a task cancelled unless it finished; true when it was cancelled (cancel its job too). */
export async function cancelTask(store: PostgresStore, taskId: string): Promise<boolean> {
  return store.use("cancelling a step", async (c) => {
    const r = await c.query(
      `UPDATE ${store.table("step_tasks")} SET state = 'cancelled' WHERE task_id = $1 AND state = 'queued'`,
      [taskId],
    );
    await notify(c, store, taskId);
    return r.rowCount === 1;
  });
}

/**
 * Cancels the queued tasks of a run except `keep`: those a previous orchestrator of the run
 * queued before it died (the run's new orchestrator queues its own). Their ids (= job ids), to cancel.
 */
export async function cancelOrphans(
  store: PostgresStore,
  runId: string,
  keep: readonly string[],
): Promise<string[]> {
  const rows = await store.use("cancelling the steps of a previous orchestrator", async (c) => {
    const r = await c.query(
      `UPDATE ${store.table("step_tasks")} SET state = 'cancelled'
       WHERE run_id = $1 AND state = 'queued' AND NOT (task_id = ANY($2::text[])) RETURNING task_id`,
      [runId, [...keep]],
    );
    for (const row of r.rows) await notify(c, store, row.task_id);
    return r.rows as { task_id: string }[];
  });
  return rows.map((r) => r.task_id);
}

/** The state of tasks: started (epoch ms or null), and the result of those done. */
export interface TaskState {
  readonly taskId: string;
  readonly state: "queued" | "done" | "cancelled";
  readonly startedAt: number | null;
}

/** The states of these tasks. */
export async function taskStates(store: PostgresStore, taskIds: readonly string[]): Promise<TaskState[]> {
  const rows = await store.use("reading step states", (c) =>
    c.query(
      `SELECT task_id, state, started_at FROM ${store.table("step_tasks")} WHERE task_id = ANY($1::text[])`,
      [[...taskIds]],
    ),
  );
  return rows.rows.map((r) => ({
    taskId: r.task_id,
    state: r.state,
    startedAt: r.started_at,
  }));
}

/** The result of a finished task, with its files. */
export async function taskResult(store: PostgresStore, taskId: string): Promise<StepTaskResult | undefined> {
  return store.use("reading a step result", async (c) => {
    const row = (
      await c.query(`SELECT result FROM ${store.table("step_tasks")} WHERE task_id = $1`, [taskId])
    ).rows[0] as { result: string | null } | undefined;
    if (!row?.result) return undefined;
    const stored = JSON.parse(row.result) as StoredResult;
    const blobs = await store.getBlobs(c, Object.values(stored.changes.upserts));
    return { ...stored, changes: store.filesFrom(stored.changes, blobs, `the result of task ${taskId}`) };
  });
}

async function notify(c: PoolClient, store: PostgresStore, taskId: string): Promise<void> {
  await c.query("SELECT pg_notify($1, $2)", [taskChannel(store), taskId]);
}
