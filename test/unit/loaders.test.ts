import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { LuaFactory } from "wasmoon";
import { createLuaWorkflowEvaluator } from "../../runtimes/lua/workflow-evaluator.js";
import { WorkflowLoadError, WorkflowValidationError } from "../../src/core/errors.js";
import { detectFormat, parseWorkflowSource } from "../../src/core/loaders/parse-source.js";
import { loadWorkflowFile } from "../../src/node/workflow-file.js";

const luaEvaluator = createLuaWorkflowEvaluator(() => new LuaFactory(), {
  instructionBudget: 1_000_000,
  memoryBudget: 8 * 1048576,
});
const parse = (text: string, source?: string) =>
  parseWorkflowSource(text, { luaEvaluator, ...(source ? { source } : {}) });
const fixture = (name: string) => new URL(`../fixtures/workflows/${name}`, import.meta.url).pathname;

async function failure(text: string, source?: string): Promise<Error> {
  const r = await parse(text, source);
  if (r.ok) throw new Error("expected a failure");
  return r.error;
}

describe("workflow files", () => {
  it("loads the same workflow from Lua, YAML and JSON", async () => {
    const lua = await loadWorkflowFile(new URL("../../workflows/diamond.lua", import.meta.url).pathname);
    const yaml = await loadWorkflowFile(fixture("etl.yaml"));
    const json = await loadWorkflowFile(fixture("etl.json"));
    for (const r of [lua, yaml, json]) expect(r.ok).toBe(true);
    if (!lua.ok || !yaml.ok || !json.ok) return;
    expect(lua.value.steps.map((s) => s.id)).toEqual(["fetch", "sorted", "stats", "report"]);
    expect(yaml.value.steps.map((s) => [s.id, s.language, s.dependsOn, s.retries])).toEqual([
      ["fetch", "python", [], 1],
      ["count", "lua", ["fetch"], 1],
    ]);
    expect(json.value.steps.map((s) => s.code)).toEqual(yaml.value.steps.map((s) => s.code));
  });

  it("ignores a leading byte-order mark in every format", async () => {
    const texts = {
      "w.json": '{"name": "b", "steps": {"a": {"language": "lua", "code": "function run() return 1 end"}}}',
      "w.yaml": "name: b\nsteps:\n  a:\n    language: lua\n    code: function run() return 1 end\n",
      "w.lua":
        'workflow = { name = "b", steps = { a = { language = "lua", code = "function run() return 1 end" } } }',
    };
    for (const [name, text] of Object.entries(texts)) {
      const r = await parse(`\ufeff${text}`, name);
      expect(r.ok, `${name}: ${r.ok ? "" : r.error.message}`).toBe(true);
      if (r.ok) expect(r.value.steps.map((s) => s.id)).toEqual(["a"]);
    }
  });

  it("keeps the hybrid engines' Lua format: depends_on = {} and the default language", async () => {
    const r = await parse(`
workflow = {
  name = "legacy",
  steps = {
    a = { code = [[function run() return 1 end]], depends_on = {} },
    b = { language = "sh", depends_on = { "a" }, code = "echo {}" },
  }
}`);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.steps.map((s) => [s.id, s.language, s.dependsOn])).toEqual([
      ["a", "lua", []],
      ["b", "shell", ["a"]],
    ]);
  });

  it("evaluates Lua workflow files as code, in a sandbox", async () => {
    const r = await parse(`
local steps = {}
for i = 1, 3 do steps["s" .. i] = { code = "function run() return " .. i .. " end" } end
workflow = { name = "generated", steps = steps }`);
    expect(r.ok && r.value.steps.length).toBe(3);
    const io = await failure(`workflow = { steps = { a = { code = io.read() } } }`, "io.lua");
    expect(io.message).toMatch(
      /io\.lua: the Lua workflow file failed: .*attempt to index a nil value \(global 'io'\)/,
    );
  });

  it("stops Lua workflow files that loop forever or eat memory", async () => {
    const loop = await failure("while true do end", "loop.lua");
    expect(loop).toBeInstanceOf(WorkflowLoadError);
    expect(loop.message).toMatch(/ran more than 1000000 Lua instructions/);
    const bomb = await failure(
      `local t = {} for i = 1, 1e9 do t[i] = string.rep("x", 1000) .. i end`,
      "bomb.lua",
    );
    expect(bomb.message).toMatch(/used more than 8388608 bytes of memory/);
  });

  it("rejects Lua values that are not data, naming where", async () => {
    const e = await failure(
      `workflow = { steps = { a = { code = "x", env = { F = function() end } } } }`,
      "f.lua",
    );
    expect(e.message).toBe("f.lua: workflow.steps.a.env.F is a function, which is not JSON");
  });

  it("reports duplicate step ids in every format, with lines", async () => {
    const lua = await failure(
      `workflow = { steps = {\n a = { code = "x" },\n b = { code = "y" },\n a = { code = "z" } } }`,
      "d.lua",
    );
    expect(lua).toBeInstanceOf(WorkflowValidationError);
    expect(lua.message).toContain(
      "steps.a: duplicate step id 'a' (lines 2 and 4); Lua keeps only the last one",
    );
    const yaml = await failure("steps:\n  a: {code: x}\n  a: {code: y}\n", "d.yaml");
    expect(yaml.message).toContain("duplicate key 'a' at line 3");
    const json = await failure('{"steps": {"a": {"code": "x"}, "a": {"code": "y"}}}', "d.json");
    expect(json.message).toContain("duplicate key 'a'");
  });

  it("rejects syntax errors with a line number", async () => {
    expect((await failure('{"steps": {', "x.json")).message).toMatch(/x\.json: not valid JSON: .*line 1/);
    expect((await failure("steps:\n  a: [1, 2\n", "x.yaml")).message).toMatch(
      /x\.yaml: not valid YAML: .*line \d/,
    );
    expect((await failure("workflow = {", "x.lua")).message).toMatch(
      /x\.lua: the Lua workflow file failed: x\.lua:1: .*expected/,
    );
  });

  it("rejects YAML alias bombs and oversized files", async () => {
    const bomb = ["a: &a [x, x, x, x, x, x, x, x, x, x]"];
    for (let i = 0; i < 8; i++)
      bomb.push(
        `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(10)
          .fill(`*${String.fromCharCode(97 + i)}`)
          .join(", ")}]`,
      );
    bomb.push("steps: {}");
    const e = await failure(bomb.join("\n"), "bomb.yaml");
    expect(e).toBeInstanceOf(WorkflowLoadError);
    expect(e.message).toMatch(/alias/i);
    const big = await parseWorkflowSource(`name: x\n${"# padding\n".repeat(200_000)}`, {
      source: "big.yaml",
    });
    expect(!big.ok && big.error.message).toMatch(
      /big\.yaml: the file is \d+ bytes; workflow files are limited to 1048576 bytes/,
    );
  });

  it("says a file nested too deeply for its parser is, in YAML and in JSON", async () => {
    const depth = 20_000;
    for (const [text, name] of [
      [`steps: {}\nx: ${"[".repeat(depth)}${"]".repeat(depth)}\n`, "deep.yaml"],
      [`{"steps": {}, "x": ${"[".repeat(depth)}${"]".repeat(depth)}}`, "deep.json"],
    ] as const) {
      const e = await failure(text, name);
      expect(e).toBeInstanceOf(WorkflowLoadError);
      expect(e.message).toBe(
        `${name}: nested too deeply to read (lists or maps inside each other, hundreds of levels deep)`,
      );
    }
  });

  it("detects the format from the name or the text", () => {
    expect(detectFormat("", "a.LUA")).toBe("lua");
    expect(detectFormat('  {"steps": {}}')).toBe("json");
    expect(detectFormat("-- comment\nworkflow = {}")).toBe("lua");
    expect(detectFormat("steps:\n  a: {}")).toBe("yaml");
    expect(detectFormat("steps:\n  a:\n    code: |\n      return { x = 1 }\n")).toBe("yaml");
  });

  it("reads step files from inside the workflow's folder only", async () => {
    const ok = await loadWorkflowFile(fixture("with-files/wf.yaml"));
    expect(ok.ok && ok.value.steps[0]?.code).toContain("hello from a file");
    const dir = mkdtempSync(join(tmpdir(), "sandflow-files-"));
    mkdirSync(join(dir, "wf"));
    writeFileSync(join(dir, "secret.py"), "def run(): return 'secret'\n");
    symlinkSync(join(dir, "secret.py"), join(dir, "wf", "link.py"));
    writeFileSync(
      join(dir, "wf", "w.yaml"),
      "steps:\n  a: {language: python, file: link.py}\n  b: {language: python, file: missing.py}\n",
    );
    const bad = await loadWorkflowFile(join(dir, "wf", "w.yaml"));
    expect(bad.ok).toBe(false);
    if (bad.ok) return;
    expect(bad.error.message).toContain(
      `steps.a.file: "link.py" leads outside the workflow's folder (through a symlink)`,
    );
    expect(bad.error.message).toContain(`steps.b.file: "missing.py": no such file`);
  });

  it("names a missing workflow file", async () => {
    const r = await loadWorkflowFile("/nonexistent/wf.yaml");
    expect(!r.ok && r.error.message).toBe("/nonexistent/wf.yaml: no such file");
  });
});
