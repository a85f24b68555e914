import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defineWorkflow, workflow } from "../../src/core/builder.js";
import type { Engine } from "../../src/core/engine.js";
import type { RunEvent } from "../../src/core/events.js";
import { createEngine } from "../../src/node/create-engine.js";
import { loadWorkflowFile } from "../../src/node/workflow-file.js";

let engine: Engine;
beforeAll(() => {
  engine = createEngine({ threads: 2 });
});
afterAll(async () => {
  await engine.close();
});

describe("engine with the real worker pool", () => {
  it("runs the diamond of Python and Lua steps with the right outputs", async () => {
    const loaded = await loadWorkflowFile(new URL("../../workflows/diamond.lua", import.meta.url).pathname);
    if (!loaded.ok) throw loaded.error;
    const events: RunEvent[] = [];
    const report = await engine.run(loaded.value, { onEvent: (e) => events.push(e) });
    expect(report.status).toBe("succeeded");
    expect(report.steps.fetch?.output).toEqual({ numbers: [3, 1, 4, 1, 5, 9, 2, 6] });
    expect(report.steps.stats?.output).toEqual({ sum: 31, max: 9, count: 8 });
    expect(report.steps.sorted?.output).toEqual({ sorted: [1, 1, 2, 3, 4, 5, 6, 9] });
    expect(report.steps.report?.output).toEqual({ summary: "8 numbers, sum 31, max 9", median: 3.5 });
    expect(report.steps.fetch?.stdout).toBe("fetching (attempt 1)\n");
    expect(events.filter((e) => e.type === "log").map((e) => (e as { text: string }).text)).toContain(
      "sum is 31\n",
    );
    expect(report.steps.report?.startedAt).toBeGreaterThanOrEqual(report.steps.stats?.finishedAt as number);
  });

  it("calls Python run() or run(inputs) by signature, exposes attempt, step id and run id", async () => {
    const report = await engine.run(
      workflow("contract")
        .python(
          "a",
          "import sandflow\ndef run():\n    return [sandflow.attempt, sandflow.step_id, sandflow.run_id]",
        )
        .python("b", "def run(inputs, extra=None):\n    return inputs", { depends_on: ["a"] })
        .lua(
          "c",
          "function run(inputs) return { sandflow.attempt, sandflow.step_id, sandflow.run_id, inputs.a[2] } end",
          { depends_on: ["a"] },
        )
        .build(),
      { runId: "run-42" },
    );
    expect(report.steps.a?.output).toEqual([1, "a", "run-42"]);
    expect(report.steps.b?.output).toEqual({ a: [1, "a", "run-42"] });
    expect(report.steps.c?.output).toEqual([1, "c", "run-42", "a"]);
  });

  it("gives each step its own env, never the host's", async () => {
    process.env.SANDFLOW_TEST_CANARY = "host-secret";
    const report = await engine.run(
      defineWorkflow({
        name: "env",
        defaults: { env: { SHARED: "all" } },
        steps: {
          py: {
            language: "python",
            env: { ONLY: "py" },
            code: "import os\ndef run():\n    return [os.environ.get('SHARED'), os.environ.get('ONLY'), os.environ.get('SANDFLOW_TEST_CANARY')]",
          },
          lua: {
            env: { ONLY: "lua" },
            code: "function run() return { os.getenv('SHARED'), sandflow.env.ONLY, os.getenv('SANDFLOW_TEST_CANARY') or 'none' } end",
          },
          py2: {
            language: "python",
            depends_on: ["py"],
            code: "import os\ndef run(inputs):\n    return os.environ.get('ONLY', 'unset')",
          },
        },
      }),
    );
    expect(report.steps.py?.output).toEqual(["all", "py", null]);
    expect(report.steps.lua?.output).toEqual(["all", "lua", "none"]);
    expect(report.steps.py2?.output).toBe("unset");
  });

  it("converts values by the JSON rules and fails non-JSON results clearly", async () => {
    const report = await engine.run(
      defineWorkflow({
        name: "json",
        steps: {
          pyok: {
            language: "python",
            code: "def run():\n    return {'t': (1, 2), 'n': None, 'f': 1.5, 'b': True, 'u': 'é'}",
          },
          pyset: { language: "python", code: "def run():\n    return {'items': [1, {2, 3}]}" },
          pynan: { language: "python", code: "def run():\n    return float('nan')" },
          luaok: {
            code: "function run() return { list = {1, 2, 3}, map = { a = 1 }, empty = {}, arr = sandflow.array() } end",
          },
          luafn: { code: "function run() return { f = print } end" },
          luacycle: { code: "function run() local t = {} t.me = t return t end" },
          luadeep: { code: "function run() local x = {} for i = 1, 300 do x = { x } end return x end" },
          pydeep: {
            language: "python",
            code: "def run():\n    x = []\n    for i in range(300):\n        x = [x]\n    return x",
          },
        },
      }),
    );
    expect(report.steps.pyok?.output).toEqual({ t: [1, 2], n: null, f: 1.5, b: true, u: "é" });
    expect(report.steps.pyset?.error).toEqual({
      name: "InvalidResultError",
      message:
        "the Python step returned a value that is not JSON: result['items'][1] is a set, which is not JSON",
    });
    expect(report.steps.pynan?.error?.message).toMatch(/result is nan \(JSON has no NaN or infinity\)/);
    expect(report.steps.luaok?.output).toEqual({ list: [1, 2, 3], map: { a: 1 }, empty: {}, arr: [] });
    expect(report.steps.luafn?.error).toEqual({
      name: "InvalidResultError",
      message: "the Lua step returned result.f is a function, which is not JSON",
    });
    expect(report.steps.luacycle?.error?.message).toMatch(/result.me is a table that contains itself/);
    // Too deep a result is named without its 200-level path.
    expect(report.steps.luadeep?.error?.message).toBe(
      "the Lua step returned result is nested deeper than 200 levels, which is not JSON",
    );
    expect(report.steps.pydeep?.error?.message).toBe("the result is nested deeper than 256 levels");
  });

  it("reports Python and Lua errors with the exception and the line", async () => {
    const report = await engine.run(
      defineWorkflow({
        name: "errors",
        steps: {
          py: { language: "python", code: "def run():\n    x = {}\n    return x['missing']\n" },
          lua: { code: "function run()\n  local t = nil\n  return t.field\nend" },
          nodef: { language: "python", code: "x = 1\n" },
          syntax: { language: "python", code: "def run(:\n" },
        },
      }),
    );
    expect(report.steps.py?.error?.name).toBe("StepRuntimeError");
    expect(report.steps.py?.error?.message).toMatch(
      /^KeyError: 'missing'\nTraceback \(most recent call last\):\n {2}File "<step py>", line 3, in run\n {4}return x\['missing'\]/,
    );
    expect(report.steps.lua?.error?.message).toMatch(
      /step:lua"\]:3: attempt to index a nil value \(local 't'\)/,
    );
    expect(report.steps.nodef?.error?.message).toBe("a Python step must define run() or run(inputs)");
    expect(report.steps.syntax?.error?.message).toMatch(/^SyntaxError/);
  });

  it("succeeds a flaky step on its third attempt", async () => {
    const report = await engine.run(
      workflow("flaky")
        .python(
          "flaky",
          "import sandflow\ndef run():\n    if sandflow.attempt < 3:\n        raise RuntimeError(f'flake {sandflow.attempt}')\n    return 'ok'",
          { retries: 3, retry_delay: 0.05 },
        )
        .build(),
    );
    expect(report.steps.flaky).toMatchObject({ status: "succeeded", attempts: 3, output: "ok", error: null });
  });

  it("stops a step that loops forever at its timeout and runs the next step", async () => {
    const t0 = Date.now();
    const report = await engine.run(
      workflow("timeouts")
        .python("spin", "def run():\n    while True:\n        pass", { timeout: 0.5 })
        .lua("luaspin", "function run() while true do end end", { timeout: 0.5 })
        .python("after", "def run(inputs):\n    return 'still serving'", { depends_on: ["spin", "luaspin"] })
        .python("independent", "def run():\n    return 1")
        .build(),
    );
    expect(report.steps.spin?.error?.name).toBe("StepTimeoutError");
    expect(report.steps.luaspin?.error?.name).toBe("StepTimeoutError");
    expect(report.steps.spin?.durationMs).toBeLessThan(1000);
    expect(report.steps.after?.status).toBe("skipped");
    expect(report.steps.independent?.output).toBe(1);
    expect(Date.now() - t0).toBeLessThan(10_000);
  });

  it("kills a worker whose step ignores the interrupt, and the replacement serves the next step", async () => {
    const report = await engine.run(
      workflow("stubborn")
        .python(
          "stubborn",
          "def run():\n    while True:\n        try:\n            while True:\n                pass\n        except KeyboardInterrupt:\n            pass",
          { timeout: 0.5 },
        )
        .python("next", "def run():\n    return 'served'", { depends_on: [] })
        .build(),
      { concurrency: 1 },
    );
    expect(report.steps.stubborn?.error?.name).toBe("StepTimeoutError");
    expect(report.steps.stubborn?.error?.message).toMatch(
      /did not stop when interrupted; its worker was replaced/,
    );
    expect(report.steps.stubborn?.durationMs).toBeLessThan(1500);
    expect(report.steps.next?.output).toBe("served");
    const again = await engine.run(
      workflow("after-kill")
        .python("p", "def run():\n    return 2")
        .lua("l", "function run() return 3 end")
        .build(),
    );
    expect(again.status).toBe("succeeded");
  });

  it("runs independent CPU-bound steps in parallel", async () => {
    const spin =
      "def run():\n    import time\n    end = time.time() + 0.4\n    n = 0\n    while time.time() < end:\n        n += 1\n    return n > 0";
    const parallel = workflow("parallel").python("a", spin).python("b", `${spin}\n`).build();
    // Both workers load Python first: a step's time starts once its interpreter is loaded.
    await engine.prepare(parallel);
    const report = await engine.run(parallel, { concurrency: 2 });
    const a = report.steps.a;
    const b = report.steps.b;
    if (!a || !b) throw new Error("missing steps");
    expect(a.output).toBe(true);
    expect(b.output).toBe(true);
    const overlap =
      Math.min(a.finishedAt as number, b.finishedAt as number) -
      Math.max(a.startedAt as number, b.startedAt as number);
    expect(overlap).toBeGreaterThan(200);
  });

  it("shares files written under /tmp and /workspace with dependents only", async () => {
    const report = await engine.run(
      defineWorkflow({
        name: "files",
        steps: {
          write: {
            language: "python",
            code: "def run():\n    open('/workspace/data.txt', 'w').write('from python')\n    open('/tmp/t.txt', 'w').write('tmp')\n    return 1",
          },
          luaread: {
            depends_on: ["write"],
            code: "function run() sandflow.write_file('lua.txt', 'from lua') return sandflow.read_file('/workspace/data.txt') .. '|' .. sandflow.read_file('/tmp/t.txt') end",
          },
          pyread: {
            language: "python",
            depends_on: ["luaread"],
            code: "import os\ndef run():\n    return sorted(os.listdir('/workspace')) + [open('lua.txt').read()]",
          },
          branch: {
            language: "python",
            code: "import os\ndef run():\n    return os.listdir('/workspace') + os.listdir('/tmp')",
          },
        },
      }),
    );
    expect(report.steps.luaread?.output).toBe("from python|tmp");
    expect(report.steps.pyread?.output).toEqual(["data.txt", "lua.txt", "from lua"]);
    expect(report.steps.branch?.output).toEqual([]);
  });

  it("carries Python file deletions, renames and rewrites to dependents", async () => {
    const report = await engine.run(
      defineWorkflow({
        name: "fs-changes",
        steps: {
          make: {
            language: "python",
            code: "import os\ndef run():\n    os.makedirs('/workspace/d')\n    for n in 'abc':\n        open(f'/workspace/d/{n}.txt', 'w').write(n)\n    return 1",
          },
          change: {
            language: "python",
            depends_on: ["make"],
            code: "import os\ndef run(inputs):\n    os.remove('/workspace/d/a.txt')\n    os.rename('/workspace/d/b.txt', '/workspace/d/bb.txt')\n    with open('/workspace/d/c.txt', 'a') as f:\n        f.write('!')\n    os.truncate('/workspace/d/bb.txt', 0)\n    return 2",
          },
          look: {
            language: "python",
            depends_on: ["change"],
            code: "import os\ndef run(inputs):\n    return {n: open('/workspace/d/' + n).read() for n in sorted(os.listdir('/workspace/d'))}",
          },
        },
      }),
    );
    expect(report.steps.look?.output).toEqual({ "bb.txt": "", "c.txt": "c!" });
  });

  it("passes files between Python, shell and Lua steps", async () => {
    const report = await engine.run(
      defineWorkflow({
        name: "files-3",
        steps: {
          py: {
            language: "python",
            code: "def run():\n    open('/workspace/in.txt', 'w').write('b\\na\\nc\\n')\n    return 3",
          },
          sh: {
            language: "shell",
            depends_on: ["py"],
            code: 'sort /workspace/in.txt > /workspace/sorted.txt\nmkdir -p /tmp/out && echo done > /tmp/out/flag\necho "{\\"lines\\": $(wc -l < /workspace/in.txt), \\"n\\": $(parse_input py)}"',
          },
          lua: {
            depends_on: ["sh"],
            code: "function run() return { sorted = sandflow.read_file('sorted.txt'), flag = sandflow.read_file('/tmp/out/flag') } end",
          },
        },
      }),
    );
    expect(report.steps.sh?.output).toEqual({ lines: 3, n: 3 });
    expect(report.steps.lua?.output).toEqual({ sorted: "a\nb\nc\n", flag: "done\n" });
  });

  it("bounds printed output and marks the cut", async () => {
    const report = await engine.run(
      workflow("flood").python("flood", "def run():\n    while True:\n        print('x' * 1000)").build(),
    );
    expect(report.steps.flood?.error?.name).toBe("OutputLimitError");
    expect(report.steps.flood?.stdout.length).toBeLessThan(1024 * 1024 + 200);
    expect(report.steps.flood?.stdout).toMatch(/\[sandflow: stdout cut here/);
  });

  it("streams events through the async iterator", async () => {
    const handle = engine.start(workflow("iter").lua("a", "function run() print('hi') return 1 end").build());
    const types: string[] = [];
    for await (const event of handle) types.push(event.type);
    expect(types).toEqual(["run-started", "step-started", "log", "step-succeeded", "run-finished"]);
    expect((await handle.report).status).toBe("succeeded");
  });

  it("cancels a run: the running step is stopped, the rest not started", async () => {
    const controller = new AbortController();
    const started = engine.start(
      workflow("cancel")
        .python("long", "def run():\n    while True:\n        pass")
        .lua("later", "function run() return 1 end", { depends_on: ["long"] })
        .build(),
      { signal: controller.signal },
    );
    setTimeout(() => controller.abort(), 300);
    const report = await started.report;
    expect(report.status).toBe("cancelled");
    expect(report.steps.long?.status).toBe("cancelled");
    expect(report.steps.later?.status).toBe("cancelled");
  });
});
