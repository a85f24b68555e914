import { describe, expect, it } from "vitest";
import { InterpreterSlots } from "../../runtimes/worker/interpreter-slots.js";
import type { LanguageRuntime, LanguageRuntimeFactory } from "../../runtimes/worker/language-runtime.js";
import type { Language } from "../../src/core/languages.js";

interface FakeRuntime extends LanguageRuntime {
  readonly serial: number;
  readonly memory: number;
  disposed: boolean;
  grownTo: number;
}

/** Factories whose interpreters are numbered in creation order. */
function fakes(memoryFixedAtCreate = false, reset?: (runtime: FakeRuntime) => boolean) {
  const made: FakeRuntime[] = [];
  let factories = 0;
  const maker = (): LanguageRuntimeFactory => {
    factories++;
    return {
      language: "python",
      memoryFixedAtCreate,
      create: async (options) => {
        const runtime: FakeRuntime = {
          serial: made.length,
          memory: options?.memoryBytes ?? 0,
          disposed: false,
          grownTo: 0,
          run: async () => ({ ok: true, outputJson: "null", files: {} }),
          memoryBytes: () => runtime.grownTo,
          dispose: () => {
            runtime.disposed = true;
          },
        };
        if (reset) runtime.reset = () => reset(runtime);
        made.push(runtime);
        return runtime;
      },
    };
  };
  const makers = { python: maker, lua: maker, shell: maker } as Record<
    Language,
    () => LanguageRuntimeFactory
  >;
  return { made, makers, factories: () => factories };
}

const step = async (slots: InterpreterSlots, runId: string, memory = 1) => {
  const runtime = (await slots.acquire("python", runId, memory)) as FakeRuntime;
  slots.release("python", false);
  return runtime.serial;
};
const settle = () => new Promise((r) => setTimeout(r, 0));

describe("the interpreters of one worker", () => {
  it("gives a run the prepared spare, keeps it for the run's steps, and never to another run", async () => {
    const { made, makers } = fakes();
    const slots = new InterpreterSlots(makers, 100, 4);
    await slots.prepare("python", 1);
    expect(await step(slots, "a")).toBe(0);
    expect(await step(slots, "a")).toBe(0);
    expect(await step(slots, "b")).toBe(1);
    expect(await step(slots, "a")).toBe(0);
    expect(await step(slots, "b")).toBe(1);
    expect(made).toHaveLength(2);
  });

  it("throws an ended run's interpreter away and makes a fresh spare for the next run", async () => {
    const { made, makers } = fakes();
    const slots = new InterpreterSlots(makers, 100, 4);
    expect(await step(slots, "a")).toBe(0);
    slots.endRun("a");
    expect(made[0]?.disposed).toBe(true);
    await settle();
    expect(made).toHaveLength(2);
    expect(await step(slots, "b")).toBe(1);
    slots.endRun("unknown");
    expect(made).toHaveLength(2);
  });

  it("makes an ended run's interpreter the spare when it resets, and replaces it when it cannot or grew", async () => {
    let refuse = false;
    const { made, makers } = fakes(false, () => !refuse);
    const slots = new InterpreterSlots(makers, 100, 4);
    expect(await step(slots, "a")).toBe(0);
    await slots.endRun("a");
    expect(made[0]?.disposed).toBe(false);
    expect(made).toHaveLength(1);
    expect(await step(slots, "b")).toBe(0);
    // Never shared while in use: a concurrent run gets another interpreter.
    expect(await step(slots, "c")).toBe(1);
    refuse = true;
    await slots.endRun("b");
    expect(made[0]?.disposed).toBe(true);
    expect(await step(slots, "d")).toBe(2);
    refuse = false;
    const runtime = made[1] as FakeRuntime;
    runtime.grownTo = 101;
    await slots.endRun("c");
    expect(runtime.disposed).toBe(true);
  });

  it("keeps the interpreters of up to N runs and drops the least recently used past that", async () => {
    const { made, makers } = fakes();
    const slots = new InterpreterSlots(makers, 100, 2);
    expect(await step(slots, "a")).toBe(0);
    expect(await step(slots, "b")).toBe(1);
    expect(await step(slots, "a")).toBe(0);
    expect(await step(slots, "c")).toBe(2);
    expect(made[1]?.disposed).toBe(true);
    expect(made[0]?.disposed).toBe(false);
    // b comes back: a fresh interpreter, never c's or a's.
    expect(await step(slots, "b")).toBe(3);
  });

  it("drops the language's interpreters and factory when one breaks or grows too much", async () => {
    const { made, makers, factories } = fakes();
    const slots = new InterpreterSlots(makers, 100, 4);
    await step(slots, "a");
    await step(slots, "b");
    const runtime = (await slots.acquire("python", "a", 1)) as FakeRuntime;
    runtime.grownTo = 101;
    slots.release("python", false);
    expect(made.every((r) => r.disposed)).toBe(true);
    expect(await step(slots, "a")).toBe(2);
    await slots.acquire("python", "a", 1);
    slots.release("python", true);
    expect(made[2]?.disposed).toBe(true);
    expect(factories()).toBe(2);
    expect(await step(slots, "a")).toBe(3);
    expect(factories()).toBe(3);
  });

  it("makes a new interpreter when the memory limit is fixed at creation and differs", async () => {
    const { made, makers } = fakes(true);
    const slots = new InterpreterSlots(makers, 1000, 4);
    await slots.prepare("python", 5);
    expect(await step(slots, "a", 10)).toBe(1);
    expect(made[1]?.memory).toBe(10);
    expect(await step(slots, "b", 5)).toBe(0);
    expect(await step(slots, "a", 20)).toBe(2);
    expect(made[1]?.disposed).toBe(true);
  });

  it("rejects a bad number of runs per worker", () => {
    expect(() => new InterpreterSlots(fakes().makers, 1, 0)).toThrow(/positive integer/);
  });
});
