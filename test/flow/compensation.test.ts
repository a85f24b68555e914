import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { workflow } from "../../src/core/builder.js";
import { MemoryStore } from "../../src/core/durable/memory-store.js";
import type { StoredRun } from "../../src/core/durable/store.js";
import type { Engine } from "../../src/core/engine.js";
import type { WorkflowValidationError } from "../../src/core/errors.js";
import type { RunEvent } from "../../src/core/events.js";
import { parseWorkflow } from "../../src/core/validate.js";
import { createEngine } from "../../src/node/create-engine.js";
import { replayEvents } from "../../src/server/replay-events.js";

let engine: Engine;
beforeAll(() => {
  engine = createEngine({ threads: 2, isolation: "thread", store: new MemoryStore() });
});
afterAll(async () => {
  await engine.close();
});

/** A booking saga: reserve, charge, then ship fails; charge and reserve are undone, latest first. */
const saga = (shipFails: boolean) =>
  workflow("saga")
    .lua("reserve", 'function run() return { seat = "12A" } end', {
      compensate:
        'function run(inputs) print("release " .. inputs.output.seat) return { released = inputs.output.seat } end',
    })
    .python("charge", "def run(inputs):\n    return {'charged': 30, 'seat': inputs['reserve']['seat']}", {
      depends_on: ["reserve"],
      compensate: {
        language: "shell",
        code: 'echo "{\\"refunded\\": $(echo "$INPUT_OUTPUT" | sed \'s/.*"charged": *\\([0-9]*\\).*/\\1/\')}"',
      },
    })
    .js("log", "function run() { return 1; }", {
      compensate: "function run() { throw new Error('cannot undo a log'); }",
    })
    .lua("plain", "function run() return 2 end")
    .lua("ship", shipFails ? 'function run() error("no truck") end' : "function run() return 3 end", {
      depends_on: ["charge"],
      compensate: "function run() return 'never' end",
    })
    .build();

describe("compensate (sagas)", () => {
  it("when the run fails, the compensations of the succeeded steps run in reverse order of finish", async () => {
    const r = await engine.run(saga(true));
    expect(r.status).toBe("failed");
    expect(r.steps.charge?.compensation).toEqual({
      status: "succeeded",
      output: { refunded: 30 },
      error: null,
    });
    expect(r.steps.reserve?.compensation).toEqual({
      status: "succeeded",
      output: { released: "12A" },
      error: null,
    });
    expect(r.steps.log?.compensation?.status).toBe("failed");
    expect(r.steps.log?.compensation?.error?.message).toContain("cannot undo a log");
    expect(r.steps.ship?.compensation).toBeUndefined();
    expect(r.steps.plain?.compensation).toBeUndefined();
    // The step's own result is unchanged by its compensation.
    expect(r.steps.reserve?.output).toEqual({ seat: "12A" });
    expect(r.steps.reserve?.status).toBe("succeeded");
    // Stored: the report of the stored run shows the compensations too.
    expect((await engine.report(r.runId)).steps.charge?.compensation?.output).toEqual({ refunded: 30 });
  });

  it("runs them latest finish first", async () => {
    const order = workflow("order")
      .lua("a", "function run() return 'a' end", {
        compensate: "function run() return os.time and 1 or 0 end",
      })
      .lua("b", "function run() return 'b' end", {
        depends_on: ["a"],
        compensate: "function run() return 1 end",
      })
      .lua("boom", 'function run() error("x") end', { depends_on: ["b"] })
      .build();
    const store = new MemoryStore();
    const e = createEngine({ threads: 1, isolation: "thread", store });
    try {
      const r = await e.run(order);
      const entries = (await store.getRun(r.runId))?.entries ?? [];
      const compensations = entries
        .filter((x) => x.type === "step-started" && x.stepId.endsWith("#compensate"))
        .map((x) => (x as { stepId: string }).stepId);
      expect(compensations).toEqual(["b#compensate", "a#compensate"]);
    } finally {
      await e.close();
    }
  });

  it("tells each compensation as it starts and ends, before run-finished; a stored run's replayed events tell the same", async () => {
    const events: RunEvent[] = [];
    const r = await engine.run(saga(true), { onEvent: (e) => events.push(e) });
    const told = (list: readonly RunEvent[]) =>
      list.flatMap((e) =>
        e.type === "compensation-started"
          ? [`${e.stepId} started`]
          : e.type === "compensation-finished"
            ? [`${e.stepId} ${e.status}${e.error ? `: ${e.error.message.split("\n")[0]}` : ""}`]
            : e.type === "run-finished"
              ? ["run-finished"]
              : [],
      );
    const live = told(events);
    // One at a time (each start followed by its end), latest finish first, all before run-finished.
    expect(live.at(-1)).toBe("run-finished");
    const pairs = live.slice(0, -1);
    expect(pairs).toHaveLength(6);
    const order: string[] = [];
    for (let i = 0; i < pairs.length; i += 2) {
      const [id, what] = (pairs[i] as string).split(" ");
      expect(what).toBe("started");
      expect(pairs[i + 1]?.startsWith(`${id} `)).toBe(true);
      order.push(id as string);
    }
    expect([...order].sort()).toEqual(["charge", "log", "reserve"]);
    const ends = order.map((id) => r.steps[id]?.finishedAt ?? 0);
    for (let i = 1; i < ends.length; i++) expect(ends[i]).toBeLessThanOrEqual(ends[i - 1] as number);
    expect(live).toContain("log failed: Error: cannot undo a log");
    expect(live).toContain("charge succeeded");
    expect(live).toContain("reserve succeeded");
    const finished = events.find((e) => e.type === "compensation-finished" && e.stepId === "charge");
    expect(finished).toMatchObject({ runId: r.runId, status: "succeeded" });
    expect((finished as { durationMs: number }).durationMs).toBeGreaterThanOrEqual(0);
    const stored = await engine.store?.getRun(r.runId);
    expect(told(replayEvents(stored as StoredRun, Date.now()))).toEqual(live);
    // Replayed, a compensation is not a step of its own.
    expect(
      replayEvents(stored as StoredRun, Date.now()).some((e) => "stepId" in e && e.stepId.includes("#")),
    ).toBe(false);
  });

  it("a run that succeeds runs no compensation", async () => {
    const r = await engine.run(saga(false));
    expect(r.status).toBe("succeeded");
    expect(Object.values(r.steps).some((s) => s.compensation)).toBe(false);
  });

  it("a wasm step's compensation needs a language of its own", () => {
    const r = parseWorkflow({
      steps: {
        w: { language: "wasm", module: "data:application/wasm;base64,AGFzbQEAAAA=", compensate: "x" },
      },
    });
    expect(r.ok).toBe(false);
    expect((r as { error: WorkflowValidationError }).error.issues).toContainEqual({
      path: "steps.w.compensate",
      message: "a wasm step's compensation needs its own language: { language, code }",
    });
  });
});
