import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defineWorkflow, workflow } from "../../src/core/builder.js";
import type { Engine } from "../../src/core/engine.js";
import { WorkflowValidationError } from "../../src/core/errors.js";
import { createEngine } from "../../src/node/create-engine.js";
import { loadWorkflowFile } from "../../src/node/workflow-file.js";
import { wat } from "../security/wasm-attacks.js";

let engine: Engine;
beforeAll(() => {
  // One worker: every step below runs on the same interpreters.
  engine = createEngine({ threads: 1 });
});
afterAll(async () => {
  await engine.close();
});

describe("JavaScript steps", () => {
  it("get a fresh context per step: pollution of one step is not seen by the next, in the same run or the next", async () => {
    const pollute = `
      Object.prototype.injected = "yes";
      Array.prototype.map = function () { return ["hijacked"]; };
      JSON.stringify = function () { return '"hijacked"'; };
      globalThis.leftover = 1;
      var run = function () { return { polluted: true }; };`;
    const check = `function run() {
      return { proto: ({}).injected === undefined, map: [1, 2].map((x) => x * 2), leftover: typeof leftover };
    }`;
    const wf = workflow("pollution")
      .js("a", pollute)
      .js("b", check, { depends_on: ["a"] })
      .build();
    const first = await engine.run(wf);
    const second = await engine.run(
      defineWorkflow({ name: "next", steps: { b: { language: "js", code: check } } }),
    );
    for (const report of [first, second]) {
      expect(report.steps.b?.output).toEqual({ proto: true, map: [2, 4], leftover: "undefined" });
    }
    expect(first.steps.a?.output).toEqual({ polluted: true });
  });

  it("never runs promise jobs a step left behind in a later step; a plain script's jobs run before its output", async () => {
    const report = await engine.run(
      workflow("jobs")
        .js("leave", "function run() { Promise.resolve().then(() => { for (;;) {} }); return 1; }")
        .js("next", "async function run() { await null; return 'clean'; }", {
          depends_on: ["leave"],
          timeout: 5,
        })
        .js("plain", "Promise.resolve(21).then((n) => console.log(JSON.stringify({ n: n * 2 })));")
        .build(),
    );
    expect(report.steps.leave?.output).toBe(1);
    expect(report.steps.next?.output).toBe("clean");
    expect(report.steps.plain?.output).toEqual({ n: 42 });
  });

  it("replaces a runtime that ran out of memory, and the next step has its whole limit", async () => {
    const report = await engine.run(
      workflow("oom")
        .js("bomb", "function run() { const a = []; for (;;) a.push([a.length, 'x' + a.length]); }", {
          memory: 32,
        })
        .js("after", "function run() { const a = new Array(1e6).fill(7); return a.length; }", {
          memory: 32,
          depends_on: [],
        })
        .build(),
    );
    expect(report.steps.bomb?.error).toMatchObject({
      name: "MemoryLimitError",
      message: "the JavaScript step used more than its memory limit of 32 MB",
    });
    expect(report.steps.after?.output).toBe(1000000);
  });

  it("gives a plain script without a JSON line null, and fails a run returning undefined naming where", async () => {
    const report = await engine.run(
      workflow("plain")
        .js("plain", 'console.log("just text")')
        .js("nothing", "function run() {}")
        .js("deep", "function run() { let x = []; for (let i = 0; i < 100000; i++) x = [x]; return x; }")
        .build(),
    );
    expect(report.steps.plain?.output).toBeNull();
    expect(report.steps.plain?.stdout).toBe("just text\n");
    expect(report.steps.nothing?.error).toMatchObject({
      name: "InvalidResultError",
      message: "the JavaScript step returned result is undefined, which is not JSON",
    });
    expect(report.steps.deep?.error?.message).toBe(
      "the JavaScript step returned result is nested deeper than 200 levels, which is not JSON",
    );
  });
});

const RETURNS = (n: number) => wat(`(module (func (export "run") (result i32) (i32.const ${n})))`);

describe("WebAssembly steps", () => {
  it("call a function with the step's input and report the older engine's output shape", async () => {
    const fib = wat(`(module (func $fib (export "fib") (param $n i32) (result i32)
      (if (result i32) (i32.lt_s (local.get $n) (i32.const 2)) (then (local.get $n))
        (else (i32.add (call $fib (i32.sub (local.get $n) (i32.const 1))) (call $fib (i32.sub (local.get $n) (i32.const 2))))))))`);
    const report = await engine.run(
      defineWorkflow({
        name: "wasm",
        steps: {
          src: {
            language: "python",
            code: "def run():\n    return {'a': [1, 2, 3], 'b': 'héllo', 'n': 7.5, 't': True, 'z': None}",
          },
          fib: { language: "wasm", module: fib, func: "fib", input: 6, depends_on: ["src"] },
          warn: { language: "wasm", module: RETURNS(3), func: "run" },
          bad: { language: "wasm", module: RETURNS(11), func: "run" },
          missing: { language: "wasm", module: RETURNS(0), func: "nope" },
        },
      }),
    );
    expect(report.steps.fib?.output).toEqual({
      wasm_execution: {
        module: "inline.wasm",
        function: "fib",
        return_code: 8,
        status: "error",
        input_count: 1,
      },
      input_summary: { src: "object[5]" },
    });
    expect(report.steps.warn?.output).toEqual({
      wasm_execution: {
        module: "inline.wasm",
        function: "run",
        return_code: 3,
        status: "error",
        input_count: 0,
      },
    });
    expect(report.steps.bad?.error).toMatchObject({
      name: "StepRuntimeError",
      message: "the wasm function 'run' failed with return code 11",
    });
    expect(report.steps.missing?.error?.message).toBe(
      "the wasm module inline.wasm exports no function 'nope' (its functions: run)",
    );
  });

  it("summarise each input as the older engine did", async () => {
    const report = await engine.run(
      defineWorkflow({
        name: "summary",
        steps: {
          a: { language: "js", code: "function run() { return [1, 2, 3]; }" },
          b: { language: "js", code: "function run() { return 'héllo'; }" },
          c: { language: "js", code: "function run() { return 7; }" },
          d: { language: "js", code: "function run() { return true; }" },
          e: { language: "js", code: "function run() { return null; }" },
          w: { language: "wasm", module: RETURNS(0), func: "run", depends_on: ["a", "b", "c", "d", "e"] },
        },
      }),
    );
    expect(report.steps.w?.output).toMatchObject({
      input_summary: { a: "array[3]", b: "string[6]", c: "number[7]", d: "bool[true]", e: "null" },
    });
  });

  it("are made by the builder's .wasm() and run with .js() and the other languages (workflows/js-and-wasm.yaml)", async () => {
    const built = await engine.run(
      workflow("builder")
        .js("a", "function run() { return { ok: true }; }")
        .wasm("w", RETURNS(0), { func: "run", depends_on: ["a"] })
        .build(),
    );
    expect(built.steps.w?.output).toMatchObject({
      wasm_execution: { status: "success" },
      input_summary: { a: "object[1]" },
    });
    const loaded = await loadWorkflowFile(
      new URL("../../workflows/js-and-wasm.yaml", import.meta.url).pathname,
    );
    if (!loaded.ok) throw loaded.error;
    const report = await engine.run(loaded.value);
    expect(report.steps.summary?.output).toEqual({ lines: 6, mean: 18, wasm_status: "success" });
    expect(report.steps.stats?.stdout).toBe("sum of 6 values: 108\n");
  });

  it("run the WASI example built from C, with files passed on to a JavaScript step", async () => {
    const loaded = await loadWorkflowFile(
      new URL("../../workflows/wasi/wordcount.yaml", import.meta.url).pathname,
    );
    if (!loaded.ok) throw loaded.error;
    const report = await engine.run(loaded.value);
    expect(report.steps.count?.output).toEqual({
      label: "poem",
      input_bytes: 37,
      files: [{ name: "/workspace/poem.txt", lines: 3, words: 9, bytes: 44 }],
    });
    expect(report.steps.report?.output).toEqual({
      label: "poem",
      words: 9,
      lines: 3,
      summary: "/workspace/poem.txt 3 9 44",
    });
  });

  it("fail a module that is not WebAssembly with a clear error", async () => {
    const report = await engine.run(
      defineWorkflow({
        name: "exit",
        steps: { count: { language: "wasm", module: "data:application/wasm;base64,AA==", args: [] } },
      }),
    );
    expect(report.steps.count?.error?.message).toMatch(/^the wasm module cannot be used: /);
  });

  it("name a module that is missing or leaves the workflow's folder", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sandflow-wasm-"));
    const file = join(dir, "wf.yaml");
    writeFileSync(
      file,
      "steps:\n  a: { language: wasm, module: nowhere/missing.wasm, func: run }\n  b: { language: wasm, module: ../x.wasm }\n  c: { language: python, code: 'x', func: run }\n",
    );
    const loaded = await loadWorkflowFile(file);
    expect(loaded.ok).toBe(false);
    const error = (loaded as { error: WorkflowValidationError }).error;
    expect(error).toBeInstanceOf(WorkflowValidationError);
    expect(error.issues).toEqual([
      { path: "steps.b.module", message: "\"../x.wasm\" must stay inside the workflow's folder (no '..')" },
      { path: "steps.c.func", message: "'func' is for wasm steps (language: wasm)" },
    ]);
    writeFileSync(file, "steps:\n  a: { language: wasm, module: nowhere/missing.wasm, func: run }\n");
    const missing = await loadWorkflowFile(file);
    expect((missing as { error: WorkflowValidationError }).error.issues).toEqual([
      {
        path: "steps.a.module",
        message: expect.stringMatching(/^"nowhere\/missing.wasm": no such file inside the workflow's folder/),
      },
    ]);
  });
});
