import { spawnSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { workflow } from "../../src/core/builder.js";
import { MemoryStore } from "../../src/core/durable/memory-store.js";
import type { Engine } from "../../src/core/engine.js";
import { InvalidParamsError, type WorkflowValidationError } from "../../src/core/errors.js";
import { parseParamArguments } from "../../src/core/params.js";
import { parseWorkflow } from "../../src/core/validate.js";
import { createEngine } from "../../src/node/create-engine.js";
import { api, testServer } from "../server/helpers.js";

const root = new URL("../../", import.meta.url).pathname;
function sandflow(...args: string[]) {
  const r = spawnSync(process.execPath, ["bin/sandflow.js", ...args], {
    cwd: root,
    encoding: "utf8",
    env: { ...process.env, NO_COLOR: "1" },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

let engine: Engine;
beforeAll(() => {
  engine = createEngine({ threads: 2, store: new MemoryStore(), isolation: "thread" });
});
afterAll(async () => {
  await engine.close();
});

/** Every language reads the params its own way. */
const everyLanguage = () =>
  workflow("params")
    .param("name", { type: "string", default: "world" })
    .param("n", { type: "integer" })
    .param("opts", { type: "object", default: { loud: true } })
    .python(
      "py",
      "import sandflow\ndef run():\n    return [sandflow.params['name'], sandflow.params['n'], sandflow.item]",
    )
    .lua(
      "lua",
      "function run() return { sandflow.params.name, sandflow.params.n, sandflow.params.opts.loud } end",
    )
    .js("js", "function run() { return [sandflow.params.name, sandflow.params.n, typeof sandflow.item]; }")
    .shell(
      "sh",
      'printf \'{"all": %s, "name": %s, "n": %s}\\n\' "$SANDFLOW_PARAMS" "$(param name)" "$(param n)"',
    )
    .shell("sh_unknown", "param nope; echo status=$?")
    .build();

describe("run params", () => {
  it("reach Python, Lua, JavaScript and shell steps, defaults applied, and are in the report", async () => {
    const report = await engine.run(everyLanguage(), { params: { n: 7 } });
    expect(report.status).toBe("succeeded");
    expect(report.params).toEqual({ name: "world", n: 7, opts: { loud: true } });
    expect(report.steps.py?.output).toEqual(["world", 7, null]);
    expect(report.steps.lua?.output).toEqual(["world", 7, true]);
    expect(report.steps.js?.output).toEqual(["world", 7, "undefined"]);
    expect(report.steps.sh?.output).toEqual({
      all: { name: "world", n: 7, opts: { loud: true } },
      name: "world",
      n: 7,
    });
    expect(report.steps.sh_unknown?.output).toMatchObject({ stdout: "status=1\n" });
    expect(report.steps.sh_unknown?.stderr).toContain("no param named 'nope'");
  });

  it("without params, steps see an empty params object", async () => {
    const wf = workflow("none")
      .python("py", "import sandflow\ndef run():\n    return sandflow.params")
      .lua("lua", "function run() return { n = #sandflow.params } end")
      .js("js", "function run() { return sandflow.params; }")
      .shell("sh", 'echo "$SANDFLOW_PARAMS"')
      .build();
    const report = await engine.run(wf);
    expect(report.params).toEqual({});
    expect(report.steps.py?.output).toEqual({});
    expect(report.steps.lua?.output).toEqual({ n: 0 });
    expect(report.steps.js?.output).toEqual({});
    expect(report.steps.sh?.output).toEqual({});
  });

  it("unknown, missing and mistyped params throw before anything runs, naming each", async () => {
    const wf = everyLanguage();
    const before = (await engine.runs({ limit: 100 })).length;
    let error: unknown;
    try {
      engine.start(wf, { params: { n: "seven", name: 3, extra: true } });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InvalidParamsError);
    expect((error as InvalidParamsError).issues.map((i) => i.path).sort()).toEqual([
      "params.extra",
      "params.n",
      "params.name",
    ]);
    expect((error as Error).message).toContain("the param 'n' must be an integer, got string \"seven\"");
    expect(() => engine.start(wf)).toThrow(/params\.n: missing: the param 'n' \(integer\) has no default/);
    expect((await engine.runs({ limit: 100 })).length).toBe(before);
  });

  it("a rerun and a resumed run keep the params the run was given", async () => {
    const wf = workflow("kept")
      .param("word", { type: "string", default: "default" })
      .lua("echo", "function run() return sandflow.params.word end")
      .lua("fail", 'function run() error("once") end', { depends_on: ["echo"] })
      .build();
    const first = await engine.run(wf, { params: { word: "given" } });
    expect(first.status).toBe("failed");
    const rerun = await (await engine.rerun(first.runId, { from: "echo" })).report;
    expect(rerun.params).toEqual({ word: "given" });
    expect(rerun.steps.echo?.output).toBe("given");
    expect((await engine.report(rerun.runId)).params).toEqual({ word: "given" });
  });

  it("declarations are validated: names, types and defaults of the declared type", () => {
    const r = parseWorkflow({
      params: {
        "bad-name": { type: "string" },
        n: { type: "integer", default: 1.5 },
        t: { type: "date" },
        ...JSON.parse('{"__proto__": {"type": "string"}}'),
      },
      steps: { a: { language: "lua", code: "function run() end" } },
    });
    expect(r.ok).toBe(false);
    const issues = (r as { error: WorkflowValidationError }).error.issues;
    expect(issues.map((i) => i.path).sort()).toEqual(
      ["params.bad-name", "params.__proto__", "params.n.default", "params.t.type"].sort(),
    );
    expect(issues.find((i) => i.path === "params.n.default")?.message).toBe(
      "must be an integer, got number 1.5",
    );
  });

  it("a Lua workflow file declares params like YAML does", async () => {
    const wf = await engine.parse(
      'workflow = { name = "lp", params = { n = { type = "number", default = 2 } }, steps = { a = { code = "function run() return sandflow.params.n + 1 end" } } }',
      { format: "lua" },
    );
    expect(wf.params).toEqual({ n: { type: "number", default: 2 } });
    expect((await engine.run(wf, { params: { n: 40 } })).steps.a?.output).toBe(41);
  });

  it("--param values are JSON when they parse, else strings; --param wins over --params", () => {
    const r = parseParamArguments(["a=1", "b=hello", 'c={"x":[1]}', "d=a=b", "e="], '{"a":0,"f":true}');
    expect(r).toEqual({ ok: true, value: { a: 1, f: true, b: "hello", c: { x: [1] }, d: "a=b", e: "" } });
    expect(parseParamArguments(["=1"]).ok).toBe(false);
    expect(parseParamArguments([], "[1]").ok).toBe(false);
  });
});

describe("run params on the command line and the server", () => {
  it("sandflow run --param/--params: the report holds them; a bad one exits 2 naming it", () => {
    const ok = sandflow(
      "run",
      "workflows/params.yaml",
      "--no-store",
      "--json",
      "--param",
      "count=3",
      "--params",
      '{"greeting":"hi"}',
    );
    expect(ok.code).toBe(0);
    const report = JSON.parse(ok.stdout);
    expect(report.params).toEqual({ greeting: "hi", count: 3, tags: ["a", "b"] });
    expect(report.steps.py.output).toEqual(["hi", "hi", "hi"]);
    const bad = sandflow("run", "workflows/params.yaml", "--no-store", "--param", "count=many");
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("params.count: the param 'count' must be an integer");
    const unknown = sandflow("run", "workflows/params.yaml", "--no-store", "--json", "--param", "colour=red");
    expect(unknown.code).toBe(2);
    expect(JSON.parse(unknown.stdout)).toMatchObject({
      status: "invalid",
      error: { name: "InvalidParamsError" },
    });
  });

  it("the server takes params with a run, validated (400 naming the param)", async () => {
    const server = await testServer();
    try {
      const text =
        "name: p\nparams:\n  n: { type: number }\nsteps:\n  a: { language: lua, code: 'function run() return sandflow.params.n * 2 end' }\n";
      const bad = await api(server, "POST", "/api/runs", { workflow: text, params: { n: "x" } });
      expect(bad.status).toBe(400);
      expect(bad.body.error.issues).toEqual([
        { path: "params.n", message: "the param 'n' must be a number, got string \"x\"" },
      ]);
      const missing = await api(server, "POST", "/api/runs", { workflow: text });
      expect(missing.status).toBe(400);
      const good = await api(server, "POST", "/api/runs", { workflow: text, params: { n: 21 } });
      expect(good.status).toBe(201);
      let report:
        | { status: string; params?: unknown; steps: Record<string, { output: unknown }> }
        | undefined;
      for (let i = 0; i < 200 && report?.status !== "succeeded"; i++) {
        report = (await api(server, "GET", `/api/runs/${good.body.runId}`)).body;
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(report?.params).toEqual({ n: 21 });
      expect(report?.steps.a?.output).toBe(42);
    } finally {
      await server.close();
    }
  });
});
