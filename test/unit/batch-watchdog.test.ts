import { describe, expect, it } from "vitest";
import type { StepTask } from "../../src/core/step-pool.js";
import { type Batch, BatchWatchdog, lostStepResult, type Pending } from "../../src/pool/batch-watchdog.js";
import { CONTROL, createControlBlock, INTERRUPT_REASON } from "../../src/protocol/control-block.js";

function pending(language: StepTask["language"]): Pending {
  return {
    task: { language, timeoutMs: 5000 } as StepTask,
    resolve: () => {},
    onLog: undefined,
    signal: undefined,
    onAbort: () => {},
    done: false,
    cancelled: false,
    batch: undefined,
    index: 0,
  };
}

function batch(kills: string[]): Batch {
  const control = createControlBlock(2);
  return {
    id: 1,
    items: [pending("lua"), pending("python")],
    cells: new Int32Array(control),
    times: new Float64Array(control, 0, CONTROL.F64_LENGTH),
    sent: { response: new Promise(() => {}), kill: () => kills.push("killed") },
    interrupt: undefined,
    killed: undefined,
    loadLimitMs: 10_000,
  };
}

describe("the batch watchdog and interpreter loads", () => {
  it("replaces a worker whose interpreter load goes past the limit, naming the step's language", () => {
    const kills: string[] = [];
    const b = batch(kills);
    const now = Date.now();
    const dog = new BatchWatchdog(() => new Map([[b.id, b]]), 250, 20);
    Atomics.store(b.cells, CONTROL.LOADING, 1);
    dog.check(now);
    dog.check(now + 5_000);
    expect(kills).toEqual([]);
    dog.check(now + 12_000);
    expect(kills).toEqual(["killed"]);
    expect(b.killed).toEqual({ index: 1, reason: INTERRUPT_REASON.LOAD_TIMEOUT });
    dog.check(now + 20_000);
    expect(kills).toHaveLength(1);
    const lost = lostStepResult(b, b.items[1] as Pending, new Error("terminated"), now + 12_000);
    expect(lost.outcome).toEqual({
      ok: false,
      error: {
        name: "StepRuntimeError",
        message: "the python interpreter did not load within 10 s; its worker was replaced",
      },
    });
    dog.stop();
  });

  it("leaves a worker alone between steps and while nothing loads", () => {
    const kills: string[] = [];
    const b = batch(kills);
    const dog = new BatchWatchdog(() => new Map([[b.id, b]]), 250, 20);
    dog.check(Date.now());
    dog.check(Date.now() + 60_000);
    expect(kills).toEqual([]);
    dog.stop();
  });
});
