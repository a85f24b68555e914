import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { workflow } from "../../src/core/builder.js";
import type { Engine } from "../../src/core/engine.js";
import { createEngine } from "../../src/node/create-engine.js";

let engine: Engine;
beforeAll(() => {
  engine = createEngine({ threads: 1, store: false });
});
afterAll(async () => {
  await engine.close();
});

describe("randomness across runs", () => {
  it("each run's Python interpreter draws its own random numbers (not the snapshot's)", async () => {
    const wf = workflow("dice")
      .python("roll", "import random\ndef run():\n    return [random.random() for _ in range(3)]")
      .build();
    const draws = new Set<string>();
    for (let i = 0; i < 3; i++) {
      const report = await engine.run(wf);
      expect(report.status).toBe("succeeded");
      draws.add(JSON.stringify(report.steps.roll?.output));
    }
    expect(draws.size).toBe(3);
  });

  it("each JavaScript step draws its own Math.random numbers (QuickJS's memory is reset after every step)", async () => {
    const code = "function run() { return [Math.random(), Math.random()]; }";
    const wf = workflow("js-dice").js("a", code).js("b", code).build();
    const draws = new Set<string>();
    for (let i = 0; i < 2; i++) {
      const report = await engine.run(wf);
      expect(report.status).toBe("succeeded");
      for (const id of ["a", "b"]) draws.add(JSON.stringify(report.steps[id]?.output));
    }
    expect(draws.size).toBe(4);
  });
});
