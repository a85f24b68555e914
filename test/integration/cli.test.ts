import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Ajv2020 } from "ajv/dist/2020.js";
import { describe, expect, it } from "vitest";
import { runReportJsonSchema } from "../../src/core/report.js";
import { workflowJsonSchema } from "../../src/core/schema.js";

const root = new URL("../../", import.meta.url).pathname;
const fixture = (name: string) => `test/fixtures/workflows/${name}`;

function sandflow(...args: string[]) {
  const r = spawnSync(process.execPath, ["bin/sandflow.js", ...args], {
    cwd: root,
    encoding: "utf8",
    env: { ...process.env, NO_COLOR: "1" },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const reportSchema = JSON.parse(readFileSync(`${root}schemas/run-report.schema.json`, "utf8"));
const validateReport = new Ajv2020({ strict: false }).compile(reportSchema);

describe("sandflow CLI", () => {
  it("runs the demo workflow, shows progress on stderr and results on stdout, exit 0", () => {
    const r = sandflow("run", "workflows/diamond.lua");
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("fetch | fetching (attempt 1)");
    expect(r.stderr).toContain("report: succeeded");
    expect(r.stdout).toMatch(/✔ report\s+lua .*"median":3.5/);
    expect(r.stdout).toMatch(/diamond: succeeded in .* \(4 succeeded\)/);
  });

  it("--json prints exactly the run report, valid against the shipped schema", () => {
    const r = sandflow("run", "workflows/diamond.lua", "--json");
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(validateReport(report)).toBe(true);
    expect(report.status).toBe("succeeded");
    expect(Object.keys(report.steps)).toEqual(["fetch", "sorted", "stats", "report"]);
  });

  it("exits 1 when a step fails, naming the Python exception", () => {
    const r = sandflow("run", fixture("failing.yaml"), "--json");
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout);
    expect(validateReport(report)).toBe(true);
    expect(report.steps.broken.error.message).toMatch(/^ValueError: bad input/);
    expect(report.steps.downstream.status).toBe("skipped");
    expect(report.steps.ok.output).toBe("fine");
  });

  it("exits 2 on an invalid workflow, names the cycle, and runs nothing", () => {
    const r = sandflow("run", fixture("invalid-cycle.lua"), "--json");
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("dependency cycle: a -> b -> a");
    expect(r.stderr).not.toContain("RAN");
    const out = JSON.parse(r.stdout);
    expect(validateReport(out)).toBe(true);
    expect(out).toMatchObject({ status: "invalid", error: { name: "WorkflowValidationError" } });
    expect(out.error.issues).toEqual([
      { path: "steps.a.depends_on", message: "dependency cycle: a -> b -> a" },
    ]);
    const plain = sandflow("validate", fixture("invalid-cycle.lua"));
    expect(plain.code).toBe(2);
    expect(plain.stdout).toBe("");
  });

  it("exits 2 on usage errors", () => {
    expect(sandflow("run").code).toBe(2);
    expect(sandflow("run", "workflows/diamond.lua", "--concurrency", "zero").code).toBe(2);
    expect(sandflow("frobnicate").code).toBe(2);
    expect(sandflow("run", "no/such/file.lua").stderr).toContain("no/such/file.lua: no such file");
  });

  it("validates and draws the graph", () => {
    const v = sandflow("validate", "workflows/diamond.lua");
    expect(v).toMatchObject({
      code: 0,
      stdout: "workflows/diamond.lua: valid workflow 'diamond' with 4 steps (2 python, 2 lua)\n",
    });
    expect(sandflow("validate", "workflows/triggers/heartbeat.lua").stdout).toBe(
      "workflows/triggers/heartbeat.lua: valid workflow 'heartbeat' with 1 step (1 shell)\n",
    );
    const dot = sandflow("graph", "workflows/diamond.lua", "--format", "dot");
    expect(dot.stdout).toContain('"fetch" -> "stats";');
    expect(sandflow("graph", "workflows/diamond.lua").stdout).toContain("s_stats --> s_report");
    expect(sandflow("validate", "workflows/subworkflows.yaml").stdout).toBe(
      "workflows/subworkflows.yaml: valid workflow 'subworkflows' with 3 steps (2 sub-workflow, 1 python); sub-workflows: notify.yaml, sub/order.yaml\n",
    );
    expect(sandflow("graph", "workflows/subworkflows.yaml").stdout).toContain(
      's_notify["notify (workflow)<br>workflow: notify.yaml"]',
    );
  });
});

describe("--max-for-each-items", () => {
  it("sets the longest for_each list of a local run, and is refused with --server", () => {
    const dir = mkdtempSync(join(tmpdir(), "sf-items-"));
    const file = join(dir, "items.yaml");
    writeFileSync(
      file,
      'name: items\nsteps:\n  each:\n    language: lua\n    for_each: "[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]"\n    code: "function run() return sandflow.item end"\n',
    );
    const short = sandflow("run", file, "--no-store", "--json", "--max-for-each-items", "10");
    expect(short.code).toBe(1);
    expect(JSON.parse(short.stdout).steps.each.error.message).toBe(
      "steps.each.for_each: the list has 12 items; the limit is 10 (engine option maxForEachItems; --max-for-each-items of run, resume, rerun and serve)",
    );
    const long = sandflow("run", file, "--no-store", "--json", "--max-for-each-items", "12");
    expect(long.code).toBe(0);
    expect(JSON.parse(long.stdout).steps.each.output).toHaveLength(12);
    expect(sandflow("run", file, "--max-for-each-items", "0").stderr).toContain(
      "--max-for-each-items must be a positive integer",
    );
    const remote = sandflow("run", file, "--server", "http://127.0.0.1:1", "--max-for-each-items", "12");
    expect(remote.code).toBe(2);
    expect(remote.stderr).toContain("--max-for-each-items applies to a local run only");
  });
});

describe("shipped JSON Schemas", () => {
  it("are the ones generated from the zod schemas (run `npm run schemas` after a change)", () => {
    expect(JSON.parse(readFileSync(`${root}schemas/workflow.schema.json`, "utf8"))).toEqual(
      workflowJsonSchema(),
    );
    expect(reportSchema).toEqual(runReportJsonSchema());
  });

  it("validate a YAML workflow file's content", () => {
    const validate = new Ajv2020({ strict: false }).compile(workflowJsonSchema());
    expect(validate({ name: "x", steps: { a: { language: "python", code: "def run(): pass" } } })).toBe(true);
    expect(validate({ steps: { a: { language: "ruby", code: "x" } } })).toBe(false);
  });
});
