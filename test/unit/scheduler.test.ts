import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ancestorsOf } from "../../src/core/dag.js";
import { Engine } from "../../src/core/engine.js";
import type { RunEvent } from "../../src/core/events.js";
import { resolveEngineOptions } from "../../src/core/options.js";
import { timerClock } from "../../src/core/system-clock.js";
import { parseWorkflowOrThrow } from "../../src/core/validate.js";
import { type Script, ScriptedPool } from "./scripted-pool.js";

let ids = 0;
function engineWith(pool: ScriptedPool, concurrency = 4): Engine {
  return new Engine(
    { pool, clock: timerClock(globalThis, () => Date.now()), newId: () => `run-${++ids}` },
    resolveEngineOptions({ concurrency, threads: 4 }, 4),
  );
}

function wf(steps: Record<string, string[]>, extra: Record<string, Record<string, unknown>> = {}) {
  return parseWorkflowOrThrow({
    name: "t",
    steps: Object.fromEntries(
      Object.entries(steps).map(([id, deps]) => [id, { code: id, depends_on: deps, ...extra[id] }]),
    ),
  });
}

const echo: Script = (task) => ({
  ok: true,
  value: { id: task.stepId, inputs: Object.keys(JSON.parse(task.inputsJson)) },
});

describe("scheduler", () => {
  it("passes only direct dependencies' outputs as inputs", async () => {
    const pool = new ScriptedPool((t) => ({ ok: true, value: t.stepId.toUpperCase() }));
    const report = await engineWith(pool).run(wf({ a: [], b: ["a"], c: ["a"], d: ["b", "c"] }));
    expect(report.status).toBe("succeeded");
    const d = pool.executions.find((e) => e.stepId === "d");
    expect(d?.inputs).toEqual({ b: "B", c: "C" });
  });

  it("skips the dependents of a failed step and lets other branches finish", async () => {
    const pool = new ScriptedPool((t) =>
      t.stepId === "b" ? { ok: false, message: "boom" } : { ok: true, value: 1 },
    );
    const events: RunEvent[] = [];
    const report = await engineWith(pool).run(
      wf({ a: [], b: ["a"], c: ["b"], d: ["c"], e: ["a"], f: ["e"] }),
      { onEvent: (e) => events.push(e) },
    );
    expect(report.status).toBe("failed");
    expect(Object.fromEntries(Object.entries(report.steps).map(([id, s]) => [id, s.status]))).toEqual({
      a: "succeeded",
      b: "failed",
      e: "succeeded",
      c: "skipped",
      f: "succeeded",
      d: "skipped",
    });
    expect(report.steps.c?.error).toEqual({
      name: "UpstreamFailedError",
      message: "not run: dependency 'b' failed",
    });
    expect(report.steps.d?.error?.message).toBe("not run: dependency 'c' was skipped");
    expect(
      events
        .filter((e) => e.type === "step-skipped")
        .map((e) => (e as { stepId: string }).stepId)
        .sort(),
    ).toEqual(["c", "d"]);
  });

  it("retries with delay and backoff and counts attempts", async () => {
    const pool = new ScriptedPool((t) =>
      t.attempt < 3 ? { ok: false, message: `flake ${t.attempt}` } : { ok: true, value: "done" },
    );
    const events: RunEvent[] = [];
    const report = await engineWith(pool).run(
      wf({ a: [] }, { a: { retries: 3, retry_delay: 0.02, retry_backoff: 2 } }),
      { onEvent: (e) => events.push(e) },
    );
    expect(report.steps.a).toMatchObject({ status: "succeeded", attempts: 3, output: "done", error: null });
    expect(
      events.filter((e) => e.type === "step-retrying").map((e) => (e as { delayMs: number }).delayMs),
    ).toEqual([20, 40]);
  });

  it("fails after the last retry with the last error", async () => {
    const pool = new ScriptedPool((t) => ({ ok: false, message: `attempt ${t.attempt}` }));
    const report = await engineWith(pool).run(wf({ a: [] }, { a: { retries: 1 } }));
    expect(report.steps.a).toMatchObject({
      status: "failed",
      attempts: 2,
      error: { name: "StepRuntimeError", message: "attempt 2" },
    });
  });

  it("with fail-fast, starts nothing new after a failure", async () => {
    const pool = new ScriptedPool((t) =>
      t.stepId === "a" ? { ok: false, message: "no" } : { ok: true, value: 1 },
    );
    const report = await engineWith(pool, 1).run(wf({ a: [], b: [], c: [] }), { failFast: true });
    expect(report.steps.a?.status).toBe("failed");
    expect(report.steps.b?.status).toBe("cancelled");
    expect(report.steps.b?.error?.message).toMatch(/fail-fast/);
    expect(pool.executions.map((e) => e.stepId)).toEqual(["a"]);
  });

  it("cancels running steps and the rest when the signal aborts", async () => {
    const pool = new ScriptedPool((t) => (t.stepId === "slow" ? "hang" : { ok: true, value: 1 }));
    const controller = new AbortController();
    const handle = engineWith(pool).start(wf({ slow: [], after: ["slow"], other: [] }), {
      signal: controller.signal,
    });
    const seen: string[] = [];
    const iterate = (async () => {
      for await (const e of handle) seen.push(e.type);
    })();
    setTimeout(() => controller.abort(), 30);
    const report = await handle.report;
    await iterate;
    expect(report.status).toBe("cancelled");
    expect(report.steps.slow?.status).toBe("cancelled");
    expect(report.steps.after?.status).toBe("cancelled");
    expect(report.steps.other?.status).toBe("succeeded");
    expect(seen[0]).toBe("run-started");
    expect(seen.at(-1)).toBe("run-finished");
  });

  it("property: any DAG and failure set gives consistent results", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            deps: fc.array(fc.nat(), { maxLength: 3 }),
            fails: fc.boolean(),
            retries: fc.nat({ max: 2 }),
          }),
          { minLength: 1, maxLength: 25 },
        ),
        fc.integer({ min: 1, max: 5 }),
        async (nodes, concurrency) => {
          const graph: Record<string, string[]> = {};
          const extra: Record<string, Record<string, unknown>> = {};
          nodes.forEach((n, i) => {
            graph[`n${i}`] = [...new Set(n.deps.filter((d) => d < i).map((d) => `n${d}`))];
            extra[`n${i}`] = { retries: n.retries };
          });
          const fails = new Set(nodes.flatMap((n, i) => (n.fails ? [`n${i}`] : [])));
          const pool = new ScriptedPool(
            (t) => (fails.has(t.stepId) ? { ok: false, message: "x" } : echo(t)),
            () => Math.random(),
          );
          const workflow = wf(graph, extra);
          const report = await engineWith(pool, concurrency).run(workflow);
          const deps = new Map(Object.entries(graph));
          expect(pool.maxRunning).toBeLessThanOrEqual(concurrency);
          for (const [id, step] of Object.entries(report.steps)) {
            const failedAncestor = [...ancestorsOf(id, deps)].some((a) => fails.has(a));
            if (fails.has(id) && !failedAncestor)
              expect(step).toMatchObject({ status: "failed", attempts: (extra[id]?.retries as number) + 1 });
            else if (failedAncestor) expect(step).toMatchObject({ status: "skipped", attempts: 0 });
            else expect(step.status).toBe("succeeded");
            const execs = pool.executions.filter((e) => e.stepId === id);
            for (const e of execs) {
              for (const d of graph[id] ?? []) {
                const depEnd = Math.max(...pool.executions.filter((x) => x.stepId === d).map((x) => x.end));
                expect(depEnd).toBeLessThan(e.start);
              }
            }
          }
          expect(report.status).toBe(fails.size > 0 ? "failed" : "succeeded");
        },
      ),
      { numRuns: 60 },
    );
  });
});
