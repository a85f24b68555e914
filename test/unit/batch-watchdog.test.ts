import { describe, expect, it } from "vitest";
import type { StepTask } from "../../src/core/step-pool.js";
import { type Batch, BatchWatchdog, lostStepResult, type Pending } from "../../src/pool/batch-watchdog.js";
import { CONTROL, createControlBlock, INTERRUPT_REASON } from "../../src/protocol/control-block.js";

function pending(language: StepTask["language"]): Pending {
  return {
    task: { language, timeoutMs: 5000 } as StepTask,
    resolve: () => {},
    onLog: undefined,
    onStart: undefined,
    started: false,
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

describe("the batch watchdog and a worker's whole memory", () => {
  const MB = 1 << 20;
  const limits = { memoryBytes: 128 * MB, workspaceBytes: 16 * MB, outputBytes: MB, resultBytes: MB };
  // The allowance: 128 + 16 + 4 + 2 + 64 = 214 MB.
  function running(kills: string[], readings: (number | undefined)[]): Batch {
    const b = batch(kills);
    (b.items[1] as { task: StepTask }).task = { language: "python", timeoutMs: 60_000, limits } as StepTask;
    const sent = b.sent as { memory?: () => Promise<number | undefined> };
    sent.memory = async () => readings.shift();
    b.times[CONTROL.START_F64] = Date.now();
    b.times[CONTROL.BASE_MEMORY_F64] = 300 * MB;
    Atomics.store(b.cells, CONTROL.CURRENT, 1);
    return b;
  }
  const settle = () => new Promise((r) => setTimeout(r, 0));

  it("replaces the worker of a step that grows it past its allowance, with a MemoryLimitError", async () => {
    const kills: string[] = [];
    const b = running(kills, [400 * MB, 520 * MB]);
    const dog = new BatchWatchdog(() => new Map([[b.id, b]]), 250, 20, 100);
    const now = Date.now();
    dog.check(now);
    await settle();
    expect(kills).toEqual([]);
    dog.check(now + 50); // within the measuring interval: no second measurement yet
    await settle();
    expect(kills).toEqual([]);
    dog.check(now + 150);
    await settle();
    expect(kills).toEqual(["killed"]);
    expect(b.killed).toEqual({ index: 1, reason: INTERRUPT_REASON.MEMORY, growth: 220 * MB });
    const lost = lostStepResult(b, b.items[1] as Pending, new Error("terminated"), now + 150);
    expect(lost.outcome).toEqual({
      ok: false,
      error: {
        name: "MemoryLimitError",
        message:
          "the step grew its worker's memory (JavaScript heap, array buffers, wasm memories) by 220 MB, past the 214 MB its memory limit of 128 MB and its workspace, output and result limits allow; its worker was replaced",
      },
    });
    dog.stop();
  });

  it("ignores a reading taken after the step ended, and workers it cannot measure", async () => {
    const kills: string[] = [];
    const b = running(kills, [900 * MB]);
    const dog = new BatchWatchdog(() => new Map([[b.id, b]]), 250, 20, 100);
    dog.check(Date.now());
    Atomics.store(b.cells, CONTROL.CURRENT, -1); // the step ended while the measurement ran
    await settle();
    expect(kills).toEqual([]);
    const c = running(kills, [undefined]);
    c.times[CONTROL.BASE_MEMORY_F64] = 0; // the platform did not measure before the step
    const other = new BatchWatchdog(() => new Map([[c.id, c]]), 250, 20, 100);
    other.check(Date.now());
    await settle();
    expect(kills).toEqual([]);
    expect(c.memoryCheck).toBeUndefined();
    dog.stop();
    other.stop();
  });
});
