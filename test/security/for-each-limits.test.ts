/**
 * for_each under hostile workflows: 1,000 items run with bounded memory (the items in
 * flight never exceed the step's window; a finished item keeps only its small record),
 * a list over the engine's cap fails the step, and an expression that tries to build a huge
 * list is stopped by its budget.
 */
import { describe, expect, it } from "vitest";
import { workflow } from "../../src/core/builder.js";
import { Engine } from "../../src/core/engine.js";
import { resolveEngineOptions } from "../../src/core/options.js";
import type { StepTask } from "../../src/core/step-pool.js";
import { timerClock } from "../../src/core/system-clock.js";
import { ScriptedPool } from "../unit/scripted-pool.js";

function scriptedEngine(pool: ScriptedPool, maxForEachItems?: number): Engine {
  return new Engine(
    { pool, clock: timerClock(globalThis, () => Date.now()), newId: () => `fe-${Math.random()}` },
    resolveEngineOptions({ concurrency: 64, threads: 4, ...(maxForEachItems ? { maxForEachItems } : {}) }, 4),
  );
}

describe("for_each limits", () => {
  it("1,000 items with max_parallel 8: never more than 8 tasks outstanding", async () => {
    const pool = new ScriptedPool((t: StepTask) => ({
      ok: true,
      value: JSON.parse(t.contextJson ?? "{}").index,
    }));
    const wf = workflow("thousand")
      .param("list", { type: "array", default: Array.from({ length: 1000 }, (_, i) => i) })
      .lua("fan", "x", { for_each: "params.list", max_parallel: 8 })
      .build();
    const r = await scriptedEngine(pool).run(wf);
    expect(r.steps.fan?.status).toBe("succeeded");
    expect(r.steps.fan?.output).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    // Items are made as the window frees: at most 8 tasks exist at once, whatever the list.
    expect(pool.maxRunning).toBe(8);
    expect(pool.executions.length).toBe(1000);
  });

  it("a list over the engine's cap fails the step before any item runs", async () => {
    const pool = new ScriptedPool(() => ({ ok: true, value: 1 }));
    const wf = workflow("cap")
      .param("list", { type: "array", default: Array.from({ length: 10_001 }, (_, i) => i) })
      .lua("fan", "x", { for_each: "params.list" })
      .build();
    const r = await scriptedEngine(pool).run(wf);
    expect(r.steps.fan?.error?.name).toBe("ForEachLimitError");
    expect(r.steps.fan?.error?.message).toContain("the list has 10001 items; the limit is 10000");
    expect(pool.executions.length).toBe(0);
  });

  it("an expression that builds a list of lists is stopped by its budget", async () => {
    const pool = new ScriptedPool(() => ({ ok: true, value: 1 }));
    const wf = workflow("bomb")
      .param("list", { type: "array", default: Array.from({ length: 5000 }, (_, i) => i) })
      .lua("fan", "x", { for_each: "params.list.map(x, params.list.map(y, y))" })
      .build();
    const r = await scriptedEngine(pool).run(wf);
    expect(r.steps.fan?.error?.name).toBe("ExpressionError");
    expect(r.steps.fan?.error?.message).toMatch(/steps\.fan\.for_each: (took more than|built more than)/);
    expect(pool.executions.length).toBe(0);
  });
});
