/**
 * An interpreter that cannot be made fails the step at once with the reason, and the
 * engine goes on: it never leaves the run waiting for a load that will not finish (a load
 * has a deadline of its own, since a step's timeout starts once its interpreter is loaded).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defineWorkflow } from "../../src/core/builder.js";
import type { Engine } from "../../src/core/engine.js";
import { createEngine } from "../../src/node/create-engine.js";

let engine: Engine;
beforeAll(() => {
  engine = createEngine({ threads: 1 });
});
afterAll(async () => {
  await engine.close();
});

const python = (memory?: number) =>
  defineWorkflow({
    name: "tiny",
    steps: {
      a: { language: "python", code: "def run():\n    return 1\n", ...(memory ? { memory } : {}) },
    },
  });

describe("interpreters that cannot be made", () => {
  it("fails a Python step whose memory limit is below what the interpreter needs to start", async () => {
    const report = await engine.run(python(1));
    expect(report.status).toBe("failed");
    expect(report.steps.a?.error?.message).toMatch(/needs \d+ MB to start; the limit is 1 MB/);
    expect(report.steps.a?.attempts).toBe(1);
    const next = await engine.run(python());
    expect(next.steps.a?.output).toBe(1);
  }, 60_000);

  it("replaces a worker whose interpreter takes longer to load than the pool allows", async () => {
    const strict = createEngine({ threads: 1, pool: { loadTimeoutMs: 50 } });
    try {
      const report = await strict.run(python());
      expect(report.steps.a?.error).toEqual({
        name: "StepRuntimeError",
        message: "the python interpreter did not load within 50 ms; its worker was replaced",
      });
    } finally {
      await strict.close();
    }
  }, 60_000);
});
