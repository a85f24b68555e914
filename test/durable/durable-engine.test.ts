import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { workflow } from "../../src/core/builder.js";
import { RunNotFoundError, RunStateError } from "../../src/core/durable/store.js";
import type { Engine } from "../../src/core/engine.js";
import type { RunEvent } from "../../src/core/events.js";
import { createEngine } from "../../src/node/create-engine.js";
import { SqliteStore } from "../../src/node/sqlite-store.js";

const storeFile = join(mkdtempSync(join(tmpdir(), "sf-durable-")), "runs.db");
let engine: Engine;
beforeAll(() => {
  engine = createEngine({ threads: 2, store: new SqliteStore(storeFile), isolation: "thread" });
});
afterAll(async () => {
  await engine.close();
});

/** first writes a file and returns a random number; slow sleeps `ms` then reads the file; last sums up. */
const chain = (ms: number) =>
  workflow("chain")
    .lua(
      "first",
      'function run() sandflow.write_file("/workspace/seed.txt", "seeded") return { r = math.random(1, 1e9) } end',
    )
    .python(
      "slow",
      `import time\ndef run(inputs):\n    time.sleep(${ms / 1000})\n    return {"seed": open("/workspace/seed.txt").read(), "r": inputs["first"]["r"]}`,
      { depends_on: ["first"] },
    )
    .lua("last", "function run(inputs) return { seed = inputs.slow.seed, r = inputs.slow.r } end", {
      depends_on: ["slow"],
    })
    .build();

describe("durable runs on the SQLite store", () => {
  it("records every run: listed newest first, its report readable by id prefix", async () => {
    const report = await engine.run(chain(10));
    expect(report.status).toBe("succeeded");
    const runs = await engine.runs({ limit: 5 });
    expect(runs[0]).toMatchObject({ runId: report.runId, workflow: "chain", status: "succeeded" });
    const shown = await engine.report(report.runId.slice(0, 8));
    expect(shown.status).toBe("succeeded");
    expect(shown.steps).toEqual(report.steps);
    expect(shown.steps.last?.output).toEqual({
      seed: "seeded",
      r: (report.steps.first?.output as { r: number } | undefined)?.r,
    });
  });

  it("rerun runs the failed step and what follows; the rest keep their results and files", async () => {
    const short = createEngine({
      threads: 2,
      timeout: 0.5,
      store: new SqliteStore(storeFile),
      isolation: "thread",
    });
    const failed = await short.run(chain(1500));
    await short.close();
    expect(failed.status).toBe("failed");
    expect(failed.steps.slow?.error?.name).toBe("StepTimeoutError");
    expect(failed.steps.last?.status).toBe("skipped");

    const events: RunEvent[] = [];
    const rerun = await (await engine.rerun(failed.runId.slice(0, 10), { onEvent: (e) => events.push(e) }))
      .report;
    expect(rerun.status).toBe("succeeded");
    expect(events[0]).toMatchObject({ type: "run-started", settled: { first: "succeeded" } });
    expect(Object.keys((events[0] as { settled: object }).settled)).toEqual(["first"]);
    expect(rerun.rerunOf).toBe(failed.runId);
    expect(rerun.runId).not.toBe(failed.runId);
    const first = rerun.steps.first;
    expect(first?.reusedFrom).toBe(failed.runId);
    expect(first?.output).toEqual(failed.steps.first?.output);
    expect([first?.startedAt, first?.finishedAt, first?.attempts]).toEqual([
      failed.steps.first?.startedAt,
      failed.steps.first?.finishedAt,
      failed.steps.first?.attempts,
    ]);
    expect(rerun.steps.slow?.reusedFrom).toBeUndefined();
    expect(rerun.steps.slow?.output).toEqual({
      seed: "seeded",
      r: (first?.output as { r: number } | undefined)?.r,
    });
    expect(rerun.steps.last?.output).toEqual({
      seed: "seeded",
      r: (first?.output as { r: number } | undefined)?.r,
    });
    expect((await engine.report(rerun.runId)).rerunOf).toBe(failed.runId);
  });

  it("rerun --from runs that step and everything downstream of it", async () => {
    const original = await engine.run(chain(10));
    const rerun = await (await engine.rerun(original.runId, { from: "slow" })).report;
    expect(rerun.status).toBe("succeeded");
    expect(rerun.steps.first?.reusedFrom).toBe(original.runId);
    expect(rerun.steps.slow?.reusedFrom).toBeUndefined();
    expect(rerun.steps.last?.reusedFrom).toBeUndefined();
    expect(rerun.steps.slow?.startedAt).toBeGreaterThan(original.finishedAt);
    // Nothing failed: a plain rerun keeps every result.
    const again = await (await engine.rerun(original.runId)).report;
    expect(Object.values(again.steps).every((s) => s.reusedFrom === original.runId)).toBe(true);
    await expect(engine.rerun(original.runId, { from: "nope" })).rejects.toThrow(
      /has no step 'nope' \(its steps: first, slow, last\)/,
    );
  });

  it("caches a step's success: same code and inputs are not run again; other inputs are", async () => {
    const cached = (n: number) =>
      workflow("cached")
        .lua("input", `function run() return ${n} end`)
        .python("rand", "import sandflow\ndef run(inputs):\n    print('ran')\n    return sandflow.run_id", {
          depends_on: ["input"],
          cache: "1h",
        })
        .build();
    await engine.clearCache();
    const one = await engine.run(cached(1));
    const two = await engine.run(cached(1));
    const other = await engine.run(cached(2));
    expect(one.steps.rand?.cached).toBeUndefined();
    expect(two.steps.rand?.cached).toBe(true);
    expect(one.steps.rand?.output).toBe(one.runId);
    expect(two.steps.rand?.output).toBe(one.runId);
    expect(two.steps.rand?.stdout).toBe("ran\n");
    expect(other.steps.rand?.cached).toBeUndefined();
    expect(other.steps.rand?.output).toBe(other.runId);
    expect((await engine.report(two.runId)).steps.rand?.cached).toBe(true);
    expect(await engine.clearCache()).toBeGreaterThanOrEqual(2);
    expect((await engine.run(cached(1))).steps.rand?.cached).toBeUndefined();
  });

  it("names what is wrong with a run id or a resume", async () => {
    const done = await engine.run(chain(1));
    await expect(engine.resume(done.runId)).rejects.toThrow(RunStateError);
    await expect(engine.resume(done.runId)).rejects.toThrow(/already succeeded; use rerun/);
    await expect(engine.report("no-such-run")).rejects.toThrow(RunNotFoundError);
    await expect(engine.report("")).rejects.toThrow(/must not be empty/);
  });

  it("an engine without a store says how to get one", async () => {
    const bare = createEngine({ threads: 1, store: false, isolation: "thread" });
    await expect(bare.runs()).rejects.toThrow(/needs a store: create the engine with \{ store \}/);
    await bare.close();
  });
});
