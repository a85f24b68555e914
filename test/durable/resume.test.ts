import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { workflow } from "../../src/core/builder.js";
import type { JournalEntry } from "../../src/core/durable/journal.js";
import { MemoryStore } from "../../src/core/durable/memory-store.js";
import type { Engine } from "../../src/core/engine.js";
import type { RunEvent } from "../../src/core/events.js";
import { createEngine } from "../../src/node/create-engine.js";

const store = new MemoryStore();
let engine: Engine;
beforeAll(() => {
  engine = createEngine({ threads: 2, store, isolation: "thread" });
});
afterAll(async () => {
  await engine.close();
});

const wf = workflow("resumable")
  .lua("a", 'function run() return { from = "a" } end')
  .lua(
    "b",
    'function run(inputs) return { seen = sandflow.read_file("/workspace/a.txt"), attempt = sandflow.attempt } end',
    {
      depends_on: ["a"],
      retries: 3,
    },
  )
  .lua("c", "function run(inputs) return inputs.b end", { depends_on: ["b"] })
  .build();

const text = (s: string) => new TextEncoder().encode(s);
const succeededA = (time: number): JournalEntry => ({
  type: "step-succeeded",
  stepId: "a",
  attempt: 1,
  stdout: "a printed\n",
  stderr: "",
  startedAt: time - 5,
  finishedAt: time - 4,
  time,
  outputJson: '{"from":"recorded"}',
  files: { upserts: { "/workspace": null, "/workspace/a.txt": text("left by a") }, deletes: [] },
});

/** A run as a process that died would leave it: its lease long past. */
async function interrupted(
  runId: string,
  entries: JournalEntry[],
  createdAt = Date.now() - 10_000,
): Promise<void> {
  await store.createRun(
    { runId, workflow: wf, params: {}, createdAt },
    { owner: "dead", until: Date.now() - 1 },
  );
  await store.append(runId, entries);
}

describe("resuming an interrupted run", () => {
  it("keeps what succeeded (output, files, times), runs the step that was running as its next attempt", async () => {
    const t = Date.now() - 9_000;
    await interrupted(
      "run-a",
      [
        { type: "step-started", stepId: "a", attempt: 1, time: t - 6 },
        succeededA(t),
        { type: "step-started", stepId: "b", attempt: 1, time: t + 1 },
      ],
      t - 1_000,
    );
    expect((await engine.report("run-a")).status).toBe("interrupted");
    const events: RunEvent[] = [];
    const report = await (await engine.resume("run-a", { onEvent: (e) => events.push(e) })).report;
    expect(report.status).toBe("succeeded");
    expect(report.steps.a).toMatchObject({
      output: { from: "recorded" },
      stdout: "a printed\n",
      attempts: 1,
    });
    expect(report.steps.a?.startedAt).toBe(Math.round(t - 5));
    expect(report.steps.b?.output).toEqual({ seen: "left by a", attempt: 2 });
    expect(report.steps.b?.attempts).toBe(2);
    expect(report.steps.c?.output).toEqual({ seen: "left by a", attempt: 2 });
    expect(report.startedAt).toBe(Math.round(t - 1_000));
    expect(
      events.filter((e) => e.type === "step-started").map((e) => (e as { stepId: string }).stepId),
    ).toEqual(["b", "c"]);
    const stored = await store.getRun("run-a");
    expect(stored?.entries.filter((e) => e.type === "run-resumed")).toHaveLength(1);
    await expect(engine.resume("run-a")).rejects.toThrow(/already succeeded/);
  });

  it("a step that was waiting to retry waits only what is left of its delay", async () => {
    const now = Date.now();
    await interrupted("run-b", [
      succeededA(now - 2_000),
      { type: "step-started", stepId: "b", attempt: 1, time: now - 1_500 },
      {
        type: "step-retrying",
        stepId: "b",
        attempt: 1,
        stdout: "",
        stderr: "",
        startedAt: now - 1_500,
        finishedAt: now - 1_400,
        time: now - 1_400,
        error: { name: "StepRuntimeError", message: "flaky" },
        wakeAt: now + 1_200,
      },
    ]);
    const report = await (await engine.resume("run-b")).report;
    expect(report.status).toBe("succeeded");
    expect(report.steps.b?.attempts).toBe(2);
    const second = (await store.getRun("run-b"))?.entries.find(
      (e) => e.type === "step-started" && e.attempt === 2,
    );
    expect(second?.time).toBeGreaterThanOrEqual(now + 1_200);
    expect(second?.time).toBeLessThan(now + 1_200 + 5_000);
  });

  it("only one of two resumes takes the run; a live run cannot be resumed", async () => {
    await interrupted("run-c", [succeededA(Date.now())]);
    const results = await Promise.allSettled([engine.resume("run-c"), engine.resume("run-c")]);
    const taken = results.filter((r) => r.status === "fulfilled");
    expect(taken).toHaveLength(1);
    expect((results.find((r) => r.status === "rejected") as PromiseRejectedResult).reason.message).toMatch(
      /still running|taken over/,
    );
    await (taken[0] as PromiseFulfilledResult<Awaited<ReturnType<Engine["resume"]>>>).value.report;
    const live = engine.start(wf);
    await live.recorded;
    await expect(engine.resume(live.runId)).rejects.toThrow(/is still running/);
    await live.report;
  });
});
