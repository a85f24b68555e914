import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Engine } from "../../src/core/engine.js";
import { createEngine } from "../../src/node.js";
import { EXPECTATIONS } from "./expectations.js";
import { conformanceCases, conformanceRunId } from "./suite.js";

let engine: Engine;
beforeAll(() => {
  engine = createEngine({ threads: 2 });
});
afterAll(async () => {
  await engine.close();
});

describe("conformance suite in Node", () => {
  const cases = conformanceCases();

  it("has a check for every workflow", () => {
    expect(cases.map((c) => c.name).sort()).toEqual(Object.keys(EXPECTATIONS).sort());
  });

  for (const c of cases) {
    it(c.name, async () => {
      const workflow = await engine.parse(c.text, { source: c.name });
      const report = await engine.run(workflow, { runId: conformanceRunId(c.name) });
      EXPECTATIONS[c.name]?.(report);
    });
  }
});
