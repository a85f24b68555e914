import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { workflow } from "../../src/core/builder.js";
import type { JournalEntry } from "../../src/core/durable/journal.js";
import { MemoryStore } from "../../src/core/durable/memory-store.js";
import { Engine } from "../../src/core/engine.js";
import { resolveEngineOptions } from "../../src/core/options.js";
import { timerClock } from "../../src/core/system-clock.js";
import { createEngine } from "../../src/node/create-engine.js";
import { ScriptedPool } from "../unit/scripted-pool.js";

const store = new MemoryStore();
let engine: Engine;
beforeAll(() => {
  engine = createEngine({ threads: 2, isolation: "thread", store, maxForEachItems: 50 });
});
afterAll(async () => {
  await engine.close();
});

describe("for_each", () => {
  it("runs the step once per item in every language; the output is the item outputs in item order", async () => {
    const wf = workflow("fan")
      .param("names", { type: "array", default: ["ann", "bob", "cy"] })
      .lua("source", "function run() return { 10, 20, 30, 40 } end")
      .python(
        "py",
        "import sandflow\ndef run(inputs):\n    return {'i': sandflow.index, 'x': sandflow.item * 2}",
        {
          depends_on: ["source"],
          for_each: "inputs.source",
        },
      )
      .lua("lua", "function run() return sandflow.index .. ':' .. sandflow.item end", {
        for_each: "params.names",
      })
      .js("js", "function run() { return sandflow.item.n + sandflow.index; }", {
        for_each: "params.names.map(n, {'n': size(n)})",
        max_parallel: 1,
      })
      .shell("sh", 'echo "{\\"item\\": $SANDFLOW_ITEM, \\"index\\": $SANDFLOW_INDEX}"', {
        for_each: "[[1], {'a': true}, null]",
      })
      .lua("empty", "function run() return 1 end", { for_each: "[]" })
      .lua("after", "function run(inputs) return { n = #inputs.py, last = inputs.py[4].x } end", {
        depends_on: ["py"],
      })
      .build();
    const r = await engine.run(wf);
    expect(Object.values(r.steps).map((s) => s.error)).toEqual(Object.values(r.steps).map(() => null));
    expect(r.status).toBe("succeeded");
    expect(r.steps.py?.output).toEqual([
      { i: 0, x: 20 },
      { i: 1, x: 40 },
      { i: 2, x: 60 },
      { i: 3, x: 80 },
    ]);
    expect(r.steps.py?.items).toEqual(
      [0, 1, 2, 3].map((i) => ({
        status: "succeeded",
        output: { i, x: (i + 1) * 20 },
        error: null,
        attempts: 1,
      })),
    );
    expect(r.steps.lua?.output).toEqual(["0:ann", "1:bob", "2:cy"]);
    expect(r.steps.js?.output).toEqual([3, 4, 4]);
    expect(r.steps.sh?.output).toEqual([
      { item: [1], index: 0 },
      { item: { a: true }, index: 1 },
      { item: null, index: 2 },
    ]);
    expect(r.steps.empty).toMatchObject({ status: "succeeded", output: [], items: [] });
    expect(r.steps.after?.output).toEqual({ n: 4, last: 80 });
    // Stored like any run: `sandflow show` lists the items too.
    expect((await engine.report(r.runId)).steps.py?.items?.length).toBe(4);
  });

  it("retries per item; one failed item fails the step once all items ended", async () => {
    const wf = workflow("items-fail")
      .lua(
        "flaky",
        'function run() if sandflow.index == 1 and sandflow.attempt == 1 then error("first try") end return sandflow.item end',
        { for_each: "[1, 2, 3]", retries: 1 },
      )
      .lua(
        "bad",
        'function run() if sandflow.item == "x" then error("bad item " .. sandflow.index) end return sandflow.item end',
        {
          for_each: "['a', 'x', 'b', 'x']",
        },
      )
      .lua("after", "function run() return 1 end", { depends_on: ["bad"] })
      .build();
    const r = await engine.run(wf);
    expect(r.status).toBe("failed");
    expect(r.steps.flaky?.status).toBe("succeeded");
    expect(r.steps.flaky?.items?.map((i) => i.attempts)).toEqual([1, 2, 1]);
    expect(r.steps.flaky?.output).toEqual([1, 2, 3]);
    expect(r.steps.bad?.status).toBe("failed");
    expect(r.steps.bad?.items?.map((i) => i.status)).toEqual(["succeeded", "failed", "succeeded", "failed"]);
    expect(r.steps.bad?.items?.[2]?.output).toBe("b");
    expect(r.steps.bad?.error?.name).toBe("StepRuntimeError");
    expect(r.steps.bad?.error?.message).toMatch(/^item 1 of 4 failed \(and 1 more\): .*bad item 1/);
    expect(r.steps.after?.status).toBe("skipped");
  });

  it("a list over the engine's cap, or no list at all, fails the step with a clear error", async () => {
    const wf = workflow("caps")
      .lua("big", "function run() return 1 end", { for_each: "params.list" })
      .lua("scalar", "function run() return 1 end", { for_each: "params.n" })
      .param("list", { type: "array", default: Array.from({ length: 51 }, (_, i) => i) })
      .param("n", { type: "integer", default: 3 })
      .build();
    const r = await engine.run(wf);
    expect(r.steps.big?.error).toEqual({
      name: "ForEachLimitError",
      message:
        "steps.big.for_each: the list has 51 items; the limit is 50 (engine option maxForEachItems; --max-for-each-items of run, resume, rerun and serve)",
    });
    expect(r.steps.scalar?.error).toEqual({
      name: "ExpressionError",
      message: "steps.scalar.for_each: must give a list, got 3",
    });
    expect(() => createEngine({ maxForEachItems: 0 })).toThrow(
      "options.maxForEachItems must be a positive integer",
    );
  });

  it("a resumed run keeps the items that succeeded and runs only the others", async () => {
    const wf = workflow("resume-items")
      .lua("fan", "function run() return sandflow.item * 10 end", { for_each: "[1, 2, 3, 4]" })
      .build();
    const runId = "resume-items-1";
    const t = Date.now() - 5_000;
    const done = (i: number, output: string): JournalEntry => ({
      type: "step-succeeded",
      stepId: `fan[${i}]`,
      attempt: 1,
      stdout: "",
      stderr: "",
      startedAt: t,
      finishedAt: t + 1,
      time: t + 1,
      outputJson: output,
      files: { upserts: {}, deletes: [] },
    });
    await store.createRun(
      { runId, workflow: wf, params: {}, createdAt: t },
      { owner: "dead", until: Date.now() - 1 },
    );
    await store.append(runId, [done(0, '"recorded 0"'), done(2, '"recorded 2"')]);
    const r = await (await engine.resume(runId)).report;
    expect(r.status).toBe("succeeded");
    expect(r.steps.fan?.output).toEqual(["recorded 0", 20, "recorded 2", 40]);
  });

  it("max_parallel bounds the items running at once; item states are made only as the window frees", async () => {
    const pool = new ScriptedPool((t) => ({ ok: true, value: JSON.parse(t.contextJson ?? "{}").index }));
    const e = new Engine(
      { pool, clock: timerClock(globalThis, () => Date.now()), newId: () => "mp" },
      resolveEngineOptions({ concurrency: 8, threads: 4 }, 4),
    );
    const wf = workflow("mp")
      .lua("fan", "x", { for_each: "params.list", max_parallel: 3 })
      .param("list", { type: "array", default: Array.from({ length: 1000 }, (_, i) => i) })
      .build();
    const r = await e.run(wf);
    expect(r.steps.fan?.output).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect(pool.maxRunning).toBe(3);
    expect(pool.executions.length).toBe(1000);
    expect(pool.executions.every((x) => x.stepId === "fan")).toBe(true);
  });
});
