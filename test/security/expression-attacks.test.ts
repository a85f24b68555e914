/**
 * Hostile CEL expressions (workflow files are untrusted): loops, allocation, regex
 * backtracking, deep nesting and reaching host objects are each refused when the workflow
 * is validated or stopped by a budget while it runs, with a clear error; the engine goes on.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { workflow } from "../../src/core/builder.js";
import type { Engine } from "../../src/core/engine.js";
import { compileExpression, MAX_EXPRESSION_STEPS } from "../../src/core/expressions.js";
import { parseWorkflow } from "../../src/core/validate.js";
import { createEngine } from "../../src/node/create-engine.js";

const BIG = Array.from({ length: 1000 }, (_, i) => i);
const vars = { params: { list: BIG, s: "a".repeat(100_000), obj: { k: 1 } }, inputs: {} };

function evaluate(source: string): { ok: boolean; value?: unknown; error?: string; ms: number } {
  const compiled = compileExpression(source);
  if (!compiled.ok) throw new Error(`did not compile: ${compiled.error}`);
  const t = performance.now();
  const r = compiled.value.evaluate(vars);
  return { ...r, ms: performance.now() - t } as { ok: boolean; value?: unknown; error?: string; ms: number };
}

describe("hostile expressions", () => {
  it("a loop over loops stops at the step budget", () => {
    const r = evaluate("params.list.map(x, params.list.map(y, params.list.map(z, x + y + z))).size() > 0");
    expect(r.ok).toBe(false);
    expect(r.error).toBe(`took more than ${MAX_EXPRESSION_STEPS} evaluation steps (the limit)`);
    expect(r.ms).toBeLessThan(5_000);
    const quantifiers = evaluate(
      "params.list.all(x, params.list.all(y, params.list.exists(z, z < 0) || true))",
    );
    expect(quantifiers.error).toContain("evaluation steps");
  });

  it("doubling strings or lists stops at the allocation budget", () => {
    const doubling = `cel.bind(a, params.s + params.s, cel.bind(b, a + a, cel.bind(c, b + b, cel.bind(d, c + c, cel.bind(e, d + d, cel.bind(f, e + e, size(f))))))) > 0`;
    const r = evaluate(doubling);
    expect(r.ok).toBe(false);
    expect(r.error).toMatch(/^built more than \d+ characters and elements \(the limit\)$/);
    const lists = evaluate('params.s.split("").map(x, x + x).size() > 0');
    expect(lists.error).toMatch(/built more than|evaluation steps/);
  });

  it("regular expressions (backtracking) are refused when validated", () => {
    const r = parseWorkflow({
      steps: { a: { code: "function run() end", when: 'params.s.matches("(a+)+b")' } },
    });
    expect(r.ok).toBe(false);
    if (!r.ok)
      expect(r.error.issues[0]).toMatchObject({
        path: "steps.a.when",
        message: expect.stringContaining("matches() is not available"),
      });
  });

  it("deep nesting and big literals are refused when validated", () => {
    expect(compileExpression(`${"[".repeat(600)}1${"]".repeat(600)} == 1`)).toMatchObject({
      ok: false,
      error: expect.stringContaining("maxDepth"),
    });
    expect(compileExpression(`${"!".repeat(600)}true`)).toMatchObject({
      ok: false,
      error: expect.stringContaining("maxAstNodes"),
    });
    const list = `[${Array.from({ length: 300 }, () => "1").join(",")}] == []`;
    expect(compileExpression(list)).toMatchObject({
      ok: false,
      error: expect.stringContaining("maxListElements"),
    });
    expect(compileExpression("x".repeat(3000))).toMatchObject({
      ok: false,
      error: expect.stringContaining("limit is 2048"),
    });
  });

  it("host objects are out of reach: prototypes, constructors and functions are no keys", () => {
    for (const path of [
      "params.constructor",
      'params["__proto__"]',
      "params.obj.toString",
      "inputs.hasOwnProperty",
      'params["constructor"]["constructor"]',
    ]) {
      const r = evaluate(`${path} == null`);
      expect(r.ok, path).toBe(false);
      expect(r.error, path).toMatch(/^No such key: /);
    }
    expect(evaluate("has(params.constructor)")).toMatchObject({ ok: true, value: false });
    expect(compileExpression("process.exit(1)")).toMatchObject({ ok: false });
    expect(compileExpression('globalThis.fetch("http://x")')).toMatchObject({ ok: false });
  });
});

describe("a hostile condition in a run", () => {
  let engine: Engine;
  beforeAll(() => {
    engine = createEngine({ threads: 1, isolation: "thread", store: false });
  });
  afterAll(async () => {
    await engine.close();
  });

  it("fails its step with ExpressionError; the other steps and the engine go on", async () => {
    const wf = workflow("hostile-when")
      .param("list", { type: "array", default: BIG })
      .lua("loop", "function run() return 1 end", {
        when: "params.list.map(x, params.list.map(y, y)).size() > 0",
      })
      .lua("fine", "function run() return 2 end")
      .build();
    const started = Date.now();
    const r = await engine.run(wf);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(r.steps.loop?.status).toBe("failed");
    expect(r.steps.loop?.error).toEqual({
      name: "ExpressionError",
      message: `steps.loop.when: took more than ${MAX_EXPRESSION_STEPS} evaluation steps (the limit)`,
    });
    expect(r.steps.fine?.output).toBe(2);
  });
});
