import type { PoolClient } from "pg";
import { describe, expect, it } from "vitest";
import type { StepTask, StepTaskResult } from "../../src/core/step-pool.js";
import {
  claimTask,
  finishTask,
  insertTask,
  resolveQueueOptions,
  taskResult,
} from "../../src/node/postgres-step-queue.js";
import { PostgresStore } from "../../src/node/postgres-store.js";
import { RemoteStepPool } from "../../src/node/remote-step-pool.js";
import { lease, record } from "../durable/store-contract.js";
import { freshSchema, freshStore, PG_URL } from "./pg-env.js";

const bytes = (text: string) => new TextEncoder().encode(text);

const task: StepTask = {
  runId: "run-1",
  stepId: "a",
  attempt: 1,
  language: "lua",
  code: "function run() return 1 end",
  codeHash: "h",
  inputsJson: "{}",
  env: {},
  files: { "/workspace": null, "/workspace/in.txt": bytes("input") },
  limits: { memoryBytes: 1, outputBytes: 1, resultBytes: 1, processes: 1, workspaceBytes: 1 },
  timeoutMs: 1000,
};

const result = (text: string): StepTaskResult => ({
  outcome: { ok: true, outputJson: JSON.stringify(text) },
  changes: { upserts: { "/workspace/out.txt": bytes(text) }, deletes: [] },
  stdout: text,
  stderr: "",
  startedAt: 1,
  finishedAt: 2,
});

describe.skipIf(!PG_URL)("the Postgres step queue", () => {
  it("fences results by claim: a worker presumed dead cannot overwrite the delivery that replaced it", async () => {
    const store = freshStore();
    await insertTask(store, "t1", task);
    const first = await claimTask(store, "t1", 0, "worker-a");
    expect(new TextDecoder().decode(first?.files["/workspace/in.txt"] as Uint8Array)).toBe("input");
    expect(first?.files["/workspace"]).toBeNull();
    // Worker A stops heartbeating; the job is delivered again (retry count 1) to worker B.
    expect(await claimTask(store, "t1", 1, "worker-b")).toBeDefined();
    // A comes back: neither its claim nor its result lands.
    expect(await claimTask(store, "t1", 0, "worker-a")).toBeUndefined();
    expect(await finishTask(store, "t1", 0, result("from A"))).toBe(false);
    expect(await finishTask(store, "t1", 1, result("from B"))).toBe(true);
    expect(await finishTask(store, "t1", 1, result("again"))).toBe(false);
    // A later delivery of a finished task finds nothing to run.
    expect(await claimTask(store, "t1", 2, "worker-c")).toBeUndefined();
    const stored = await taskResult(store, "t1");
    expect(stored?.stdout).toBe("from B");
    expect(new TextDecoder().decode(stored?.changes.upserts["/workspace/out.txt"] as Uint8Array)).toBe(
      "from B",
    );
    await store.close();
  });

  it("prunes a finished run's step tasks with it, and the files only they named", async () => {
    const store = freshStore();
    for (const runId of ["old", "kept"]) {
      await store.createRun(record(runId, 1), lease());
      await insertTask(store, `${runId}-t`, { ...task, runId });
      await claimTask(store, `${runId}-t`, 0, "worker");
      await finishTask(store, `${runId}-t`, 0, result(runId === "old" ? "only-old" : "kept"));
    }
    await store.append("old", [{ type: "run-finished", status: "succeeded", time: 10 }]);
    // "input" is named by both tasks; "only-old" by the old task's result alone.
    expect(await store.prune({ finishedBefore: 100, now: Date.now() })).toEqual({
      runs: 1,
      cacheEntries: 0,
      blobs: 1,
    });
    expect(await taskResult(store, "old-t")).toBeUndefined();
    const kept = await claimTask(store, "kept-t", 5, "worker");
    expect(kept).toBeUndefined(); // finished: nothing to claim, but its result still reads
    expect((await taskResult(store, "kept-t"))?.stdout).toBe("kept");
    await store.close();
  });

  it("clearing the cache deletes the stored files only cache entries used, not a task's", async () => {
    const store = freshStore();
    await insertTask(store, "t-cache", task); // names "input"
    const step = { outputJson: "1", stdout: "", stderr: "", createdAt: 1 };
    const files = (...texts: string[]) => ({
      upserts: Object.fromEntries(texts.map((t) => [`/workspace/${t}`, bytes(t)])),
      deletes: [],
    });
    await store.putCached("k", { ...step, files: files("input", "cache-only") }, null);
    const blobs = () =>
      store.use("counting", async (c) =>
        Number((await c.query(`SELECT count(*) AS n FROM ${store.table("blobs")}`)).rows[0].n),
      );
    expect(await blobs()).toBe(2);
    expect(await store.clearCache()).toBe(1);
    expect(await blobs()).toBe(1);
    const claimed = await claimTask(store, "t-cache", 0, "worker");
    expect(new TextDecoder().decode(claimed?.files["/workspace/in.txt"] as Uint8Array)).toBe("input");
    await store.close();
  });

  it("queues every step of a new run: none is taken for an orphan of a previous orchestrator", async () => {
    // The first step of a run sweeps the run's orphans; steps queued while it swept were
    // once cancelled with them, and their run waited for them forever. The sweep is made slow
    // here (as a connection still being opened makes it) so the other steps come first.
    const store = new (class extends PostgresStore {
      override use<T>(what: string, body: (c: PoolClient) => Promise<T>, transaction?: boolean): Promise<T> {
        const slow = what.includes("previous orchestrator");
        return slow
          ? new Promise((r) => setTimeout(r, 300)).then(() => super.use(what, body, transaction))
          : super.use(what, body, transaction);
      }
    })(PG_URL, { schema: freshSchema() });
    const pool = await RemoteStepPool.open(store, { queue: "orphans" });
    const n = 100;
    const runs = Array.from({ length: n }, (_, i) => pool.run({ ...task, runId: "run-2", stepId: `s${i}` }));
    const states = async () =>
      (
        await store.use("test", (c) =>
          c.query(`SELECT state, count(*)::int AS n FROM ${store.table("step_tasks")} GROUP BY state`),
        )
      ).rows as { state: string; n: number }[];
    for (let i = 0; i < 100; i++) {
      const rows = await states();
      if (rows.reduce((sum, r) => sum + r.n, 0) === n) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(await states()).toEqual([{ state: "queued", n }]);
    await pool.close();
    const results = await Promise.all(runs);
    expect(results.every((r) => !r.outcome.ok && r.outcome.error.name === "StepCancelledError")).toBe(true);
    await store.close();
  });

  it("refuses queue options that are wrong, naming them", () => {
    expect(() => resolveQueueOptions({ heartbeatSeconds: 5 })).toThrow(
      /options.heartbeatSeconds must be a whole number from 10 to 3600, got 5/,
    );
    expect(() => resolveQueueOptions({ queue: "a b" })).toThrow(/options.queue must be/);
    expect(resolveQueueOptions({})).toEqual({ queue: "sandflow-steps", heartbeatSeconds: 30 });
  });
});
