/**
 * What each conformance workflow must produce, checked on every platform besides the
 * Node/browser comparison (so both cannot be wrong the same way unnoticed).
 */
import { expect } from "vitest";
import type { RunReport } from "../../src/core/report.js";

type Check = (report: RunReport) => void;

function statuses(report: RunReport): Record<string, string> {
  return Object.fromEntries(Object.entries(report.steps).map(([id, s]) => [id, s.status]));
}

/** Checks by workflow file name. */
export const EXPECTATIONS: Readonly<Record<string, Check>> = {
  "subworkflows.yaml": (r) => {
    expect(r.status).toBe("failed");
    expect(statuses(r)).toEqual({
      seed: "succeeded",
      price: "succeeded",
      each: "succeeded",
      broken: "failed",
      sum: "succeeded",
    });
    expect(r.steps.price?.output).toEqual({ count: 2, total: 36 });
    expect(r.steps.each?.output).toEqual([
      { count: 1, total: 120 },
      { count: 1, total: 240 },
    ]);
    expect(r.steps.sum?.output).toEqual({ sum: 396 });
    expect(r.steps.broken?.error?.name).toBe("SubworkflowFailedError");
    expect(r.steps.broken?.error?.message).toMatch(
      /^sub-workflow parts\/broken\.yaml \(run [0-9a-f-]{36}\) failed: step 'boom' failed: StepRuntimeError: .*broken on purpose/,
    );
  },
  "waits.yaml": (r) => {
    expect(statuses(r)).toEqual({
      nap: "succeeded",
      past: "succeeded",
      nobody: "failed",
      after: "succeeded",
    });
    expect(r.steps.nobody?.error?.name).toBe("SignalTimeoutError");
    expect(r.steps.nap?.output).toBeNull();
    expect(r.steps.nap?.durationMs).toBeGreaterThanOrEqual(150);
    expect(r.steps.after?.output).toBe("woke");
  },
  "saga.yaml": (r) => {
    expect(r.status).toBe("failed");
    expect(r.steps.ship?.status).toBe("failed");
    expect(r.steps.ship?.compensation).toBeUndefined();
    expect(r.steps.notify?.compensation).toEqual({
      status: "succeeded",
      output: { unsent: { sent: true } },
      error: null,
    });
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
  },
  "repeat.lua": (r) => {
    expect(r.status).toBe("failed");
    expect(r.steps.double?.output).toEqual({ value: 64 });
    expect(r.steps.double?.iterations).toBe(7);
    expect(r.steps.poll?.output).toEqual({ tries: 3 });
    expect(r.steps.words?.output).toEqual(["w1", "w2", "w3"]);
    expect(r.steps.endless?.error?.name).toBe("LoopLimitError");
    expect(r.steps.endless?.iterations).toBe(3);
    expect(r.steps.report?.output).toEqual({ value: 64, tries: 3 });
  },
  "for-each.yaml": (r) => {
    expect(r.status).toBe("failed");
    expect(r.steps.py?.output).toEqual([
      { index: 0, square: 9, of: 3, inputs: {} },
      { index: 1, square: 1, of: 3, inputs: {} },
      { index: 2, square: 4, of: 3, inputs: {} },
    ]);
    expect(r.steps.lua?.output).toEqual(["ALPHA", "BETA", "GAMMA"]);
    expect(r.steps.lua?.items?.map((i) => i.attempts)).toEqual([1, 2, 1]);
    expect(r.steps.js?.output).toEqual(["alpha/5/0", "beta/4/1", "gamma/5/2"]);
    expect(r.steps.sh?.status).toBe("failed");
    expect(r.steps.sh?.items?.map((i) => i.status)).toEqual(["succeeded", "failed", "succeeded"]);
    expect(r.steps.sh?.items?.[2]?.output).toEqual({ twice: 6 });
    expect(r.steps.sh?.error?.message).toMatch(
      /^item 1 of 3 failed: shell step exited with status 3: item 2 fails/,
    );
    expect(r.steps.total?.output).toEqual({ sum: 14, words: "ALPHA,BETA,GAMMA" });
  },
  "conditions.yaml": (r) => {
    expect(r.status).toBe("failed");
    expect(statuses(r)).toEqual({
      probe: "succeeded",
      full: "succeeded",
      quick: "skipped",
      after_quick: "skipped",
      report: "succeeded",
      broken: "failed",
      cleanup: "succeeded",
      on_failure: "succeeded",
    });
    expect(r.steps.quick?.error?.name).toBe("ConditionFalseError");
    expect(r.steps.after_quick?.error?.name).toBe("UpstreamFailedError");
    expect(r.steps.report?.output).toEqual({ quick: null, full: "full" });
    expect(r.steps.cleanup?.output).toEqual({ cleaned: true });
  },
  "params.yaml": (r) => {
    expect(r.status).toBe("succeeded");
    const params = { word: "héllo", count: 3, flags: { on: true, list: [1, 2] } };
    expect(r.params).toEqual(params);
    expect(r.steps.py?.output).toEqual({ word: "héllo", count: 3, item: null });
    // sandflow is a global in Python too, as in Lua and JavaScript
    expect(r.steps.py_global?.output).toEqual([3, "py_global"]);
    expect(r.steps.lua?.output).toEqual({ repeated: "ababab", on: true });
    expect(r.steps.js?.output).toEqual({ list: [1, 2], keys: ["word", "count", "flags"] });
    expect(r.steps.sh?.output).toEqual({ word: "héllo", params });
  },
  "fan-out-join.lua": (r) => {
    expect(r.status).toBe("succeeded");
    expect(r.steps.join?.output).toEqual({
      first: "alpha",
      count: 4,
      lengths: [5, 5, 7, 5],
      upper: "ALPHA",
      text: "héllo ✓",
    });
    expect(r.steps.source?.stdout).toBe("source: attempt 1 step source\n");
    expect(r.steps.sh_upper?.stderr).toBe("shell: 5 fields contain an a\n");
  },
  "files.yaml": (r) => {
    expect(r.status).toBe("succeeded");
    expect(r.steps.read_py?.output).toEqual({
      "/tmp/shell.txt": "shell was here\n",
      "/workspace/data/lua.txt": "lua saw 6 bytes from python\n",
      "/workspace/data/numbers.txt": "3\n1\n2\n",
      "/workspace/data/sorted.txt": "1\n2\n3\n",
    });
    expect(r.steps.other_branch?.stdout).toBe('/tmp:\n\n/workspace:\n{"isolated": true}\n');
    expect(r.steps.other_lua?.output).toEqual({
      workspace: ["/workspace/branch.txt"],
      text: "branch file\n",
      isolated: true,
    });
  },
  "failures.json": (r) => {
    expect(r.status).toBe("failed");
    expect(statuses(r)).toEqual({
      start: "succeeded",
      py_raise: "failed",
      after_py: "skipped",
      after_after: "skipped",
      lua_error: "failed",
      sh_exit: "failed",
      sh_missing: "failed",
      py_set: "failed",
      py_nan: "failed",
      lua_function: "failed",
      lua_syntax: "failed",
      py_syntax: "failed",
      py_no_run: "failed",
      independent: "succeeded",
      after_independent: "skipped",
    });
    expect(r.steps.py_raise?.error?.message).toMatch(/^ValueError: bad value: True\n/);
    expect(r.steps.py_set?.error?.name).toBe("InvalidResultError");
    expect(r.steps.sh_exit?.error?.message).toBe("shell step exited with status 3: oops");
    expect(r.steps.after_after?.error?.name).toBe("UpstreamFailedError");
  },
  "javascript.yaml": (r) => {
    expect(r.status).toBe("failed");
    expect(r.steps.js_run?.output).toEqual({
      sorted: [1, 2, 3],
      text: "é ✓!",
      facts: [1, "js_run", r.runId, "blue"],
      same: true,
    });
    expect(r.steps.js_run?.stdout).toBe("sorting 3 numbers\n");
    expect(r.steps.js_run?.stderr).toBe('to stderr {"ok":true}\n');
    expect(r.steps.js_script?.output).toEqual({
      lines: ["1", "2", "3"],
      files: ["/workspace/data", "/workspace/data/sorted.txt"],
    });
    expect(r.steps.js_async?.output).toEqual({ doubled: [2, 4, 6], left: ["/workspace/data"] });
    expect(r.steps.lua_reads?.output).toEqual({ text: "1\n2\n3" });
    expect(r.steps.js_arrow?.output).toEqual({
      arrow: true,
      missing: true,
      date: "1970-01-01T00:00:00.000Z",
    });
    expect(r.steps.js_clean?.output).toEqual({ proto_clean: true, push: 1, leftover: "undefined" });
    expect(r.steps.js_no_host?.output).toEqual(Array(6).fill("undefined"));
    expect(r.steps.js_recursion?.output).toEqual([
      "InternalError: stack overflow",
      "InternalError: stack overflow",
    ]);
    const error = (id: string) => r.steps[id]?.error;
    expect(error("js_undefined")).toMatchObject({
      name: "InvalidResultError",
      message: expect.stringContaining("result.list[1].deep is undefined"),
    });
    expect(error("js_cycle")?.message).toContain("result.a.back is an object that contains itself");
    expect(error("js_nan")?.message).toContain("result.ratio is NaN");
    expect(error("js_function")?.message).toContain("result.f is a function");
    expect(error("js_throw")).toMatchObject({ name: "StepRuntimeError" });
    expect(error("js_throw")?.message).toMatch(/^RangeError: out of range\n\s+at run \(step:js_throw\.js:1/);
    expect(error("js_reject")?.message).toMatch(/^Error: rejected later/);
    expect(error("js_syntax")?.message).toMatch(/^SyntaxError: /);
    expect(error("js_escape")?.message).toContain("only files under /tmp and /workspace can be used");
  },
  "lua-io.yaml": (r) => {
    expect(r.status).toBe("succeeded");
    expect(r.steps.w?.output).toEqual({
      tmp: "/tmp/lua_000001",
      missing: "missing.txt: no such file",
      env: "hi",
      execute: true,
      popen: true,
      time: "number",
      clock: "number",
      date: "string",
    });
    expect(r.steps.w?.stdout).toBe("to stdout 1\n");
    expect(r.steps.w?.stderr).toBe("to stderr\n");
    expect(r.steps.r?.output).toEqual({
      lines: ["alpha", "42", "gamma", "more"],
      first: "alpha",
      n: 42,
      rest: "\ngamma\nmore",
      size: 19,
      two: "pha",
      closed: true,
      renamed: "tmp",
      again: "/tmp/renamed.txt: no such file",
      type: "closed file",
      after: "ALPHA\n42\ngamma\nmore",
      outside: "/etc/passwd: only files under /tmp and /workspace can be used",
    });
  },
  "limits.yaml": (r) => {
    expect(r.status).toBe("failed");
    expect(r.steps.py_memory?.error?.name).toBe("MemoryLimitError");
    expect(r.steps.lua_memory?.error?.name).toBe("MemoryLimitError");
    for (const id of ["py_output", "lua_output"]) {
      expect(r.steps[id]?.error?.name, id).toBe("OutputLimitError");
      expect(r.steps[id]?.stdout.length, id).toBeLessThan(1_100_000);
    }
    expect(r.steps.after_limits?.output).toBe(45);
  },
  "retries.yaml": (r) => {
    expect(r.status).toBe("failed");
    expect(r.steps.summary?.output).toEqual({ py: 3, lua: 2, sh: 2 });
    expect(r.steps.py_flaky?.attempts).toBe(3);
    expect(r.steps.never?.attempts).toBe(2);
    expect(r.steps.after_never?.status).toBe("skipped");
  },
  "shell-contract.yaml": (r) => {
    expect(r.status).toBe("succeeded");
    expect(r.steps.lua_reads?.output).toEqual({
      shout: "HELLO!",
      partial: true,
      exit_code: 0,
      text: "no json here\n",
      pipeline: "a=2 b=1 c=1 \nargs: 1\n",
    });
  },
  "timeouts.lua": (r) => {
    expect(r.status).toBe("failed");
    for (const id of ["py_spin", "py_stubborn", "lua_spin", "sh_spin"])
      expect(r.steps[id]?.error?.name, id).toBe("StepTimeoutError");
    expect(r.steps.py_stubborn?.error?.message).toMatch(/its worker was replaced/);
    expect(r.steps.later?.output).toEqual({ after: "done" });
    expect(r.steps.after_stubborn?.status).toBe("skipped");
  },
  "values.yaml": (r) => {
    expect(r.status).toBe("succeeded");
    expect(r.steps.py_back?.output).toMatchObject({ color: "blue", step: "sh_env" });
    expect(r.steps.lua_values?.output).toMatchObject({
      empty: {},
      arr: [],
      kept: [],
      tuple: [1, 2],
      real: 3.5,
    });
    expect(r.steps.lua_values?.stderr).toBe("lua stderr\t42\n");
  },
  "wasm.yaml": (r) => {
    expect(r.status).toBe("failed");
    expect(r.steps.ret0?.output).toEqual({
      wasm_execution: {
        module: "inline.wasm",
        function: "run",
        return_code: 0,
        status: "success",
        input_count: 1,
      },
      input_summary: { source: "object[3]" },
    });
    expect(r.steps.fib?.status).toBe("failed");
    expect(r.steps.fib?.error?.message).toBe("the wasm function 'fib' failed with return code 55");
    expect(r.steps.ret42?.error?.message).toBe("the wasm function 'run' failed with return code 42");
    expect(r.steps.host_import?.error?.message).toBe(
      "the wasm module inline.wasm imports function env.f; a wasm step may import only wasi_snapshot_preview1 functions",
    );
    expect(r.steps.wasi?.output).toEqual(["wasi", 1]);
    expect(r.steps.wasi?.stdout).toBe('["wasi",1]\n');
    expect(r.steps.after_wasi?.output).toEqual({ got: ["wasi", 1], file: "written by wasm\n" });
  },
  "wide.json": (r) => {
    expect(r.status).toBe("succeeded");
    expect(r.steps.total?.output).toEqual({ squares: 650, cubes: 100, count: 18 });
  },
};
