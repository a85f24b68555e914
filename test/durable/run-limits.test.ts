/**
 * Limits across runs: concurrency_key with max_runs queues the runs past the limit, first
 * come first served; rate limits space the starts of the steps that name their key.
 */
import pc from "picocolors";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { renderSummary } from "../../src/cli/summary.js";
import { MemoryStore } from "../../src/core/durable/memory-store.js";
import type { Engine } from "../../src/core/engine.js";
import type { RunEvent } from "../../src/core/events.js";
import { parseRate } from "../../src/core/run-limits.js";
import { parseWorkflow, parseWorkflowOrThrow } from "../../src/core/validate.js";
import { createEngine } from "../../src/node/create-engine.js";

let engine: Engine;
beforeAll(() => {
  engine = createEngine({ threads: 2, isolation: "thread", rateLimits: { api: "4/s" } });
});
afterAll(async () => {
  await engine.close();
});

describe("concurrency_key and max_runs", () => {
  it("runs at most max_runs runs with one key at once; the others queue in order", async () => {
    const wf = parseWorkflowOrThrow({
      name: "deploy",
      concurrency_key: "prod",
      max_runs: 2,
      steps: { hold: { sleep: "400ms" } },
    });
    const other = parseWorkflowOrThrow({ name: "free", steps: { hold: { sleep: "400ms" } } });
    const t0 = Date.now();
    const reports = await Promise.all([
      engine.run(wf),
      engine.run(wf),
      engine.run(wf),
      engine.run(wf),
      engine.run(other),
    ]);
    const starts = reports.map((r) => (r.steps.hold?.startedAt ?? 0) - t0);
    // Two at once, then the next two after them; the run without the key does not wait.
    expect(starts[0]).toBeLessThan(300);
    expect(starts[1]).toBeLessThan(300);
    expect(starts[2]).toBeGreaterThanOrEqual(380);
    expect(starts[3]).toBeGreaterThanOrEqual(380);
    expect(starts[4]).toBeLessThan(300);
    expect(reports.every((r) => r.status === "succeeded")).toBe(true);
  });

  it("tells a queued run's wait with a run-queued event before run-started; a run with a place gets none", async () => {
    const wf = parseWorkflowOrThrow({
      name: "told",
      concurrency_key: "event-test",
      max_runs: 1,
      steps: { hold: { sleep: "200ms" } },
    });
    const types = (events: RunEvent[]) => events.map((e) => e.type).filter((t) => t.startsWith("run-"));
    const first: RunEvent[] = [];
    const second: RunEvent[] = [];
    await Promise.all([
      engine.run(wf, { onEvent: (e) => first.push(e) }),
      engine.run(wf, { onEvent: (e) => second.push(e) }),
    ]);
    expect(types(first)).toEqual(["run-started", "run-finished"]);
    expect(types(second)).toEqual(["run-queued", "run-started", "run-finished"]);
    expect(second[0]).toMatchObject({ type: "run-queued", key: "event-test", maxRuns: 1 });
  });

  it("lists a run that waits for its place as queued, with no step started", async () => {
    const wf = parseWorkflowOrThrow({
      name: "one-at-a-time",
      concurrency_key: "queue-test",
      steps: { hold: { sleep: "500ms" } },
    });
    const first = engine.start(wf);
    const second = engine.start(wf);
    await Promise.all([first.recorded, second.recorded]);
    await new Promise((r) => setTimeout(r, 150));
    const status = async (id: string) => (await engine.runs()).find((r) => r.runId === id)?.status;
    expect(await status(first.runId)).toBe("waiting");
    expect(await status(second.runId)).toBe("queued");
    // Listed by those statuses too; running lists both.
    const ids = async (s: "waiting" | "queued" | "running") =>
      (await engine.runs({ status: s, limit: 100 })).map((r) => r.runId);
    expect(await ids("queued")).toContain(second.runId);
    expect(await ids("queued")).not.toContain(first.runId);
    expect(await ids("waiting")).toContain(first.runId);
    expect(await ids("waiting")).not.toContain(second.runId);
    expect(await ids("running")).toEqual(expect.arrayContaining([first.runId, second.runId]));
    const queued = await engine.report(second.runId);
    expect(queued.status).toBe("queued");
    expect(queued.queued).toEqual({ key: "queue-test", maxRuns: 1 });
    expect(queued.steps.hold?.status).toBe("pending");
    // `sandflow show` says what it waits for.
    expect(renderSummary(queued, pc.createColors(false))).toContain(
      "queued: a run holds its place (concurrency_key 'queue-test', max_runs 1)",
    );
    await first.report;
    await new Promise((r) => setTimeout(r, 150));
    expect(await status(second.runId)).toBe("waiting");
    expect((await second.report).status).toBe("succeeded");
    expect(await status(second.runId)).toBe("succeeded");
  });

  it("lists running runs reading the journal only of those that can be waiting or queued", async () => {
    let reads = 0;
    const store = new (class extends MemoryStore {
      override getRun(runId: string) {
        reads++;
        return super.getRun(runId);
      }
    })();
    const counted = createEngine({ threads: 1, isolation: "thread", store });
    try {
      const busy = "function run() local t = os.clock() while os.clock() - t < 0.6 do end return 1 end";
      const plain = counted.start(
        parseWorkflowOrThrow({ name: "plain", steps: { a: { language: "lua", code: busy } } }),
      );
      const waits = counted.start(parseWorkflowOrThrow({ name: "waits", steps: { w: { sleep: "1s" } } }));
      await Promise.all([plain.recorded, waits.recorded]);
      await new Promise((r) => setTimeout(r, 100));
      const statuses = async () =>
        Object.fromEntries((await counted.runs()).map((r) => [r.workflow, r.status]));
      let before = reads;
      expect(await statuses()).toEqual({ plain: "running", waits: "waiting" });
      expect(reads - before).toBe(2);
      before = reads;
      expect(await statuses()).toEqual({ plain: "running", waits: "waiting" });
      expect(reads - before).toBe(1); // the plain run's journal is not read again
      await Promise.all([plain.report, waits.report]);
    } finally {
      await counted.close();
    }
  });

  it("validates the fields", () => {
    const r = parseWorkflow({ max_runs: 2, steps: { a: { sleep: "1s" } } });
    expect(r.ok ? [] : r.error.issues.map((i) => `${i.path}: ${i.message}`)).toEqual([
      "max_runs: max_runs applies to runs with a concurrency_key; add one or remove it",
    ]);
  });
});

describe("rate limits", () => {
  it("spaces the starts of the steps with a rate_limit_key; others run at once", async () => {
    const steps: Record<string, unknown> = {};
    for (let i = 0; i < 8; i++)
      steps[`call${i}`] = { language: "lua", code: "function run() return 1 end", rate_limit_key: "api" };
    steps.free = { language: "lua", code: "function run() return 1 end", rate_limit_key: "unlimited" };
    const t0 = Date.now();
    const report = await engine.run(parseWorkflowOrThrow({ name: "calls", steps }), { concurrency: 16 });
    expect(report.status).toBe("succeeded");
    const starts = Object.entries(report.steps)
      .filter(([id]) => id.startsWith("call"))
      .map(([, s]) => s.startedAt ?? 0)
      .sort((a, b) => a - b);
    // 4 per second: the fifth start comes a second or more after the run began, the free step at once.
    expect((starts[4] as number) - t0).toBeGreaterThanOrEqual(1000);
    expect((report.steps.free?.startedAt ?? 0) - t0).toBeLessThan(900);
  });

  it("parses rates and refuses bad engine options", () => {
    expect(parseRate("10/s")).toEqual({ count: 10, windowMs: 1000 });
    expect(parseRate("3/h")).toEqual({ count: 3, windowMs: 3_600_000 });
    expect(parseRate("0/s")).toBeUndefined();
    expect(() => createEngine({ rateLimits: { api: "fast" } })).toThrow(/options.rateLimits.api must be/);
  });
});

describe("priorities", () => {
  const busy = {
    language: "lua",
    code: "function run() local x = 0 for i = 1, 2e6 do x = x + i end return x end",
  };

  it("steps of a higher-priority run go first when runs compete for the workers", async () => {
    const one = createEngine({ threads: 1, isolation: "thread" });
    try {
      const steps = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`s${i}`, busy]));
      const first = parseWorkflowOrThrow({ name: "first", priority: 10, steps: steps(3) });
      const low = parseWorkflowOrThrow({ name: "low", steps: steps(8) });
      const high = parseWorkflowOrThrow({ name: "high", priority: 10, steps: steps(2) });
      await one.prepare(low);
      // While a run with a priority runs, attempts queue at the gate: the later high run's go first.
      const runs = [one.run(first, { concurrency: 8 })];
      await new Promise((r) => setTimeout(r, 20));
      runs.push(one.run(low, { concurrency: 8 }));
      await new Promise((r) => setTimeout(r, 20));
      runs.push(one.run(high, { concurrency: 8 }));
      const [, lowReport, highReport] = await Promise.all(runs);
      const lowStarts = Object.values(lowReport?.steps ?? {})
        .map((s) => s.startedAt ?? 0)
        .sort((a, b) => a - b);
      const highLast = Math.max(...Object.values(highReport?.steps ?? {}).map((s) => s.startedAt ?? 0));
      expect(lowStarts).toHaveLength(8);
      expect(highLast).toBeLessThan(lowStarts[2] as number);
    } finally {
      await one.close();
    }
  });

  it("within a run, a step with a higher priority takes a concurrency slot first", async () => {
    const report = await engine.run(
      parseWorkflowOrThrow({
        name: "slots",
        steps: { a: busy, b: busy, c: busy, urgent: { ...busy, priority: 5 } },
      }),
      { concurrency: 1 },
    );
    const order = Object.entries(report.steps)
      .sort(([, x], [, y]) => (x.startedAt ?? 0) - (y.startedAt ?? 0))
      .map(([id]) => id);
    expect(order[0]).toBe("urgent");
  });
});
