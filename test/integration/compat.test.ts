import { readdirSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Engine } from "../../src/core/engine.js";
import type { RunReport } from "../../src/core/report.js";
import { createEngine } from "../../src/node/create-engine.js";
import { loadWorkflowFile } from "../../src/node/workflow-file.js";

const DIR = new URL("../fixtures/compat/", import.meta.url);
const FILES = readdirSync(DIR)
  .filter((f) => f.endsWith(".lua"))
  .sort();

let engine: Engine;
beforeAll(() => {
  engine = createEngine({ threads: 2 });
});
afterAll(async () => {
  await engine.close();
});

async function run(file: string): Promise<RunReport> {
  const loaded = await loadWorkflowFile(new URL(file, DIR).pathname);
  if (!loaded.ok) throw loaded.error;
  return engine.run(loaded.value);
}

function keys(value: unknown): string[] {
  return Object.keys(value as object).sort();
}

describe("the older hybrid engine's example workflows", () => {
  it("are all ten of them", () => {
    expect(FILES).toHaveLength(10);
  });

  for (const file of FILES) {
    it(`${file} runs unchanged and succeeds`, async () => {
      const report = await run(file);
      const failed = Object.entries(report.steps).filter(([, s]) => s.status !== "succeeded");
      expect(failed.map(([id, s]) => `${id}: ${s.error?.name} ${s.error?.message}`)).toEqual([]);
      expect(report.status).toBe("succeeded");
    });
  }

  it("javascript_workflow.lua gives the older engine's output shapes", async () => {
    const r = await run("javascript_workflow.lua");
    const generated = r.steps.generate_data?.output as { dataset: unknown[] };
    expect(keys(generated)).toEqual(["count", "dataset", "generated_at"]);
    expect(generated.dataset).toHaveLength(10);
    expect(keys(generated.dataset[0])).toEqual(["id", "timestamp", "value"]);
    expect(keys(r.steps.process_with_js?.output)).toEqual([
      "above_average_count",
      "processed_items",
      "statistics",
    ]);
    const report = r.steps.format_results?.output as { report: object; status: string };
    expect(keys(report)).toEqual(["processed_at", "report", "status"]);
    expect(keys(report.report)).toEqual(["statistics", "summary", "title", "top_items"]);
    expect(report.status).toBe("completed");
    expect(r.steps.format_results?.stdout).toContain("=== JAVASCRIPT PROCESSING REPORT ===");
  });

  it("js_python_shell_workflow.lua and multi_language_workflow.lua give the older engine's JavaScript shapes", async () => {
    const a = await run("js_python_shell_workflow.lua");
    expect(keys(a.steps.analyze_data?.output)).toEqual([
      "distributions",
      "original_data",
      "processed_at",
      "quartile_analysis",
      "statistics",
    ]);
    expect(a.steps.analyze_data?.stdout).toMatch(
      /^Analyzing data with JavaScript...\nJavaScript Analysis Complete:\n- Average: \d+\.\d\d\n/,
    );
    const b = await run("multi_language_workflow.lua");
    const analysed = b.steps.analyze_with_js?.output as { analytics: object };
    expect(keys(analysed)).toEqual(["analytics", "original_metadata", "processed_at"]);
    expect(keys(analysed.analytics)).toEqual([
      "score_distribution",
      "score_stats",
      "top_performers",
      "total_users",
    ]);
  });

  it("wasm_workflow.lua reports return code 0 for its three functions", async () => {
    const r = await run("wasm_workflow.lua");
    for (const [id, func] of [
      ["wasm_basic_computation", "run"],
      ["wasm_process_data", "process_data"],
      ["wasm_complex_computation", "complex_computation"],
    ] as const) {
      expect(r.steps[id]?.output).toEqual({
        wasm_execution: {
          module: "workflows/example_wasm_module.wasm",
          function: func,
          return_code: 0,
          status: "success",
          input_count: 1,
        },
        input_summary: expect.any(Object),
      });
    }
    expect(r.steps.wasm_basic_computation?.output).toMatchObject({
      input_summary: { generate_input: "object[4]" },
    });
    expect(r.steps.analyze_wasm_results?.output).toMatchObject({
      summary: { success_rate: "100.0%", wasm_integration_status: "SUCCESS" },
    });
  });
});
