import { execSync } from "node:child_process";
import { afterEach, describe, expect, it } from "vitest";
import type { RunReport } from "../../src/core/report.js";
import type { PostgresStore } from "../../src/node/postgres-store.js";
import { exitOf, layeredWorkflow, Proc, successes, taskRows, until } from "./cluster-procs.js";
import { freshSchema, freshStore, PG_RESTART, PG_URL } from "./pg-env.js";

const BUSY = 1_500_000;
let procs: Proc[] = [];
let store: PostgresStore | undefined;

function start(args: string[], schema: string): Proc {
  const p = new Proc(args, schema);
  procs.push(p);
  return p;
}

async function workers(n: number, schema: string): Promise<Proc[]> {
  const ws = Array.from({ length: n }, () => start(["worker", "--store", PG_URL, "--threads", "2"], schema));
  await until("the workers to listen", () => ws.every((w) => w.stderr.includes("claiming steps")), 60_000);
  return ws;
}

function remoteRun(file: string, schema: string): Proc {
  return start(
    ["run", file, "--store", PG_URL, "--remote", "--heartbeat", "10", "--json", "--progress", "plain"],
    schema,
  );
}

const finished = (ws: readonly Proc[]) => ws.reduce((n, w) => n + w.finishedCount(), 0);

afterEach(async () => {
  for (const p of procs) p.kill();
  await Promise.all(procs.map((p) => p.exited));
  procs = [];
  await store?.close();
  store = undefined;
});

describe.skipIf(!PG_URL)("scale-out on Postgres", () => {
  it("3 workers run 200 steps; a worker SIGKILLed mid-step: its step runs again elsewhere, each step succeeds once", async () => {
    const schema = freshSchema();
    store = freshStore(schema);
    await store.ready();
    const ws = await workers(3, schema);
    const run = remoteRun(layeredWorkflow(200, 20, BUSY), schema);
    const victim = ws[0] as Proc;
    await until(
      "the first worker to hold a step after 40 steps",
      () => finished(ws) >= 40 && victim.inHand().length > 0,
    );
    const inHand = victim.inHand();
    const held = inHand.map((s) => s.split("/")[1] as string);
    victim.kill("SIGKILL");
    const killedAt = Date.now();
    // Another worker claims the dead one's step after the heartbeat (10 s) and a monitor pass (2 s), with room for a loaded machine.
    const others = ws.filter((w) => w !== victim);
    await until(
      "another worker to claim the killed worker's step",
      () => others.some((w) => inHand.some((s) => w.stderr.includes(`claimed ${s} attempt`))),
      30_000,
    );
    expect(Date.now() - killedAt).toBeLessThan(20_000);
    expect(await exitOf(run, procs), run.stderr).toBe(0);
    const report = JSON.parse(run.stdout) as RunReport & { runId: string };
    expect(report.status).toBe("succeeded");
    const stored = await store.getRun(report.runId);
    const counts = successes(stored?.entries ?? []);
    expect(counts.size).toBe(200);
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
    const rows = await taskRows(store, report.runId);
    const victimName = `:${victim.pid}`;
    let redelivered = 0;
    for (const step of held) {
      const row = rows.find((r) => r.step_id === step && r.state === "done");
      expect(row, `step ${step}`).toBeDefined();
      // Delivered again (claim 1 or more) and finished by another worker; or finished by the
      // victim just before the kill (its result landed before its last log line reached here).
      if (row?.worker?.endsWith(victimName)) expect(row.claim).toBe(0);
      else {
        expect(row?.claim).toBeGreaterThanOrEqual(1);
        redelivered++;
      }
    }
    expect(redelivered).toBeGreaterThanOrEqual(1);
    // Steps that were never in the victim's hands ran once.
    expect(rows.filter((r) => r.state === "done").length).toBe(200);
  });

  it("the orchestrator SIGKILLed mid-run: a serve on the same database takes over, completed steps do not run again", async () => {
    const schema = freshSchema();
    store = freshStore(schema);
    await store.ready();
    const ws = await workers(2, schema);
    const standby = start(["serve", "--store", PG_URL, "--port", "0", "--heartbeat", "10"], schema);
    await until("the standby to listen", () => standby.stdout.includes("listening on"), 60_000);
    const run = remoteRun(layeredWorkflow(100, 10, BUSY), schema);
    await until("30 steps to finish", () => finished(ws) >= 30);
    run.kill("SIGKILL");
    const [summary] = await store.listRuns({ limit: 1 });
    const runId = summary?.runId as string;
    await until(
      "the run to succeed under the standby",
      async () => (await (store as PostgresStore).getRun(runId))?.status === "succeeded",
    );
    expect(standby.stderr).toMatch(/took over run/);
    const entries = (await store.getRun(runId))?.entries ?? [];
    const counts = successes(entries);
    expect(counts.size).toBe(100);
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
    const resumedAt = entries.findIndex((e) => e.type === "run-resumed");
    expect(resumedAt).toBeGreaterThan(0);
    const doneBefore = new Set(
      entries.slice(0, resumedAt).flatMap((e) => (e.type === "step-succeeded" ? [e.stepId] : [])),
    );
    expect(doneBefore.size).toBeGreaterThanOrEqual(20);
    const startedAfter = entries.slice(resumedAt).filter((e) => e.type === "step-started");
    expect(startedAfter.filter((e) => doneBefore.has((e as { stepId: string }).stepId))).toEqual([]);
    // What the dead orchestrator had queued ran, or was cancelled by the one that took over.
    const rows = await taskRows(store, runId);
    expect(rows.filter((r) => r.state === "queued")).toEqual([]);
  });

  it("serve on Postgres runs what is submitted to it on the workers; a worker stops gracefully on SIGTERM", async () => {
    const schema = freshSchema();
    store = freshStore(schema);
    await store.ready();
    const [worker] = await workers(1, schema);
    const server = start(["serve", "--store", PG_URL, "--port", "0"], schema);
    await until("the server to listen", () => server.stdout.includes("listening on"), 60_000);
    const url = /listening on (http:\/\/\S+)/.exec(server.stdout)?.[1] as string;
    const run = start(
      ["run", layeredWorkflow(6, 3, 1000), "--server", url, "--json", "--progress", "none"],
      schema,
    );
    expect(await exitOf(run, procs), run.stderr).toBe(0);
    const report = JSON.parse(run.stdout) as RunReport & { runId: string };
    expect(report.status).toBe("succeeded");
    const rows = await taskRows(store, report.runId);
    expect(rows.length).toBe(6);
    expect(rows.every((r) => r.state === "done" && r.worker?.endsWith(`:${worker?.pid}`))).toBe(true);
    worker?.kill("SIGTERM");
    expect(await exitOf(worker as Proc, procs, 60_000)).toBe(0);
    expect(worker?.stderr).toMatch(/stopped after 6 steps/);
  });

  it("runs sub-workflows remotely: the child runs are recorded in Postgres, linked to their parent", async () => {
    const schema = freshSchema();
    store = freshStore(schema);
    await store.ready();
    await workers(1, schema);
    const run = remoteRun("workflows/subworkflows.yaml", schema);
    expect(await exitOf(run, procs), run.stderr).toBe(0);
    const report = JSON.parse(run.stdout) as RunReport;
    expect(report.status).toBe("succeeded");
    expect(report.steps.total?.output).toEqual({ orders: 3, total: 81 });
    const children = (await store.listRuns({ limit: 20 })).filter((r) => r.runId !== report.runId);
    expect(children.map((r) => r.workflow).sort()).toEqual(["notify", "order", "order", "order"]);
    for (const child of children)
      expect((await store.getRun(child.runId))?.record.parentRun).toBe(report.runId);
  });

  it.skipIf(!PG_RESTART)(
    "Postgres restarted mid-run: workers and the orchestrator reconnect, the run succeeds",
    async () => {
      const schema = freshSchema();
      store = freshStore(schema);
      await store.ready();
      const ws = await workers(2, schema);
      const run = remoteRun(layeredWorkflow(100, 10, BUSY), schema);
      await until("30 steps to finish", () => finished(ws) >= 30);
      execSync(PG_RESTART, { stdio: "ignore" });
      expect(await exitOf(run, procs), run.stderr).toBe(0);
      const report = JSON.parse(run.stdout) as RunReport & { runId: string };
      expect(report.status).toBe("succeeded");
      const counts = successes((await store.getRun(report.runId))?.entries ?? []);
      expect(counts.size).toBe(100);
      expect([...counts.values()].every((n) => n === 1)).toBe(true);
      expect(ws.every((w) => w.child.exitCode === null)).toBe(true);
    },
  );
});
