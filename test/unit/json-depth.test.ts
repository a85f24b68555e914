import { describe, expect, it } from "vitest";
import { InvalidSignalError, sendSignal } from "../../src/core/durable/signals.js";
import { MAX_JSON_DEPTH, nestedDeeperThan } from "../../src/core/json-depth.js";
import { parseWorkflowSource } from "../../src/core/loaders/parse-source.js";
import { resolveParams } from "../../src/core/params.js";
import { defineWorkflow } from "../../src/index.js";

/** `depth` arrays, each holding the next (plus an object at the bottom when `object`). */
function nested(depth: number, object = false): unknown {
  let v: unknown = object ? { leaf: 1 } : 1;
  for (let i = object ? 1 : 0; i < depth; i++) v = [v];
  return v;
}

describe("JSON nesting depth", () => {
  it("counts arrays and objects, not scalars, without recursing", () => {
    expect(nestedDeeperThan(1)).toBe(false);
    expect(nestedDeeperThan(null)).toBe(false);
    expect(nestedDeeperThan(nested(MAX_JSON_DEPTH))).toBe(false);
    expect(nestedDeeperThan(nested(MAX_JSON_DEPTH + 1))).toBe(true);
    expect(nestedDeeperThan(nested(MAX_JSON_DEPTH, true))).toBe(false);
    expect(nestedDeeperThan(nested(MAX_JSON_DEPTH + 1, true))).toBe(true);
    expect(nestedDeeperThan({ a: [{ b: [] }] }, 4)).toBe(false);
    expect(nestedDeeperThan({ a: [{ b: [] }] }, 3)).toBe(true);
    // deeper than JSON.stringify can go (it throws RangeError at a few thousand levels)
    expect(nestedDeeperThan(nested(200_000))).toBe(true);
    // a wide value is not deep
    expect(nestedDeeperThan(Array.from({ length: 10_000 }, () => [[1]]))).toBe(false);
  });

  it("refuses params nested too deeply, naming the param", () => {
    const workflow = defineWorkflow({
      name: "p",
      params: { xs: { type: "array" } },
      steps: { a: { language: "lua", code: "function run() return 1 end" } },
    });
    const r = resolveParams(workflow, { xs: nested(5000) });
    expect(!r.ok && r.error.issues).toEqual([
      { path: "params.xs", message: `the param 'xs' is nested deeper than ${MAX_JSON_DEPTH} levels` },
    ]);
    expect(resolveParams(workflow, { xs: nested(10) }).ok).toBe(true);
  });

  it("finds a default nested too deeply when the workflow is checked, not when it runs", async () => {
    const deep = `${"[".repeat(300)}${"]".repeat(300)}`;
    const source = JSON.stringify({
      name: "d",
      params: { p: { type: "array" } },
      steps: { a: { language: "lua", code: "function run() return 1 end" } },
    }).replace('{"type":"array"}', `{"type":"array","default":${deep}}`);
    const r = await parseWorkflowSource(source, { source: "d.json" });
    expect(!r.ok && r.error.message).toContain(
      `params.p.default: is nested deeper than ${MAX_JSON_DEPTH} levels`,
    );
  });

  it("refuses signal data nested too deeply before it reaches the store", async () => {
    const store = new Proxy({}, { get: () => () => Promise.reject(new Error("the store was used")) });
    // biome-ignore lint/suspicious/noExplicitAny: the store must not be reached
    const sent = sendSignal(store as any, "run-1", "go", nested(5000), "sig-1", 0);
    await expect(sent).rejects.toThrow(InvalidSignalError);
    await expect(sent).rejects.toThrow(`signal data is nested deeper than ${MAX_JSON_DEPTH} levels`);
  });
});
