/**
 * `sandflow run --server` sends a loaded workflow back as a file would write it
 * (workflowSpecOf): every field of the format must survive the round trip, so a field added
 * to the schema and not to workflowSpecOf fails here rather than vanishing on the server.
 */
import { describe, expect, it } from "vitest";
import { stepSpecSchema, type WorkflowSpec, workflowSpecSchema } from "../../src/core/schema.js";
import { parseWorkflowOrThrow } from "../../src/core/validate.js";
import { workflowSpecOf } from "../../src/core/workflow-spec.js";

/** A workflow that sets every workflow field and, over its steps, every step field. */
const EVERY_FIELD: WorkflowSpec = {
  name: "every-field",
  description: "all of them",
  concurrency: 3,
  concurrency_key: "deploys",
  priority: 5,
  max_runs: 2,
  on: [{ event: "a" }, { event: "b" }],
  schedule: "*/5 * * * *",
  timezone: "Europe/Paris",
  defaults: { retries: 1 },
  params: { n: { type: "integer", default: 2, description: "how many" }, who: { type: "string" } },
  steps: {
    py: {
      language: "python",
      code: "def run():\n    return 1\n",
      timeout: 5,
      retries: 2,
      retry_delay: 1,
      retry_backoff: 2,
      memory: 64,
      env: { A: "1" },
      secrets: ["TOKEN"],
      cache: "10m",
      allow: { net: ["example.com", "api.example.com:8443"] },
      description: "a python step",
      when: "params.n > 1",
      compensate: "def run(inputs):\n    return 0\n",
    },
    each: {
      language: "lua",
      code: "function run() return sandflow.item end",
      for_each: "[1, 2, 3]",
      max_parallel: 2,
      rate_limit_key: "api",
      priority: 3,
      depends_on: ["py"],
      trigger_rule: "all_done",
    },
    loop: {
      language: "lua",
      code: "function run(inputs) return (inputs.previous or 0) + 1 end",
      repeat: { until: "output >= 3", max: 5 },
    },
    nap: { sleep: "1500ms" },
    later: { until: "2030-01-01T00:00:00.000Z" },
    go: { wait_for: { signal: "go", timeout: "5m" }, depends_on: ["nap"] },
    gate: { approval: { timeout: "1h" } },
    gate2: { approval: true },
    wasm: {
      language: "wasm",
      module: "data:application/wasm;base64,AGFzbQEAAAABBQFgAAF/AwIBAAcHAQNydW4AAAoGAQQAQQAL",
      func: "run",
      input: 3,
      depends_on: ["py"],
    },
    wasi: {
      language: "wasm",
      module: "data:application/wasm;base64,AGFzbQEAAAABBQFgAAF/AwIBAAcHAQNydW4AAAoGAQQAQQAL",
      args: ["x"],
      depends_on: ["py"],
    },
    file: { language: "lua", file: "never-read.lua" },
    child: {
      workflow: "sub/child.yaml",
      params: { n: "params.n + 1", first: "inputs.py" },
      depends_on: ["py"],
      retries: 1,
    },
  },
  workflows: {
    "sub/child.yaml": {
      params: { n: { type: "integer" }, first: { type: "integer", default: 0 } },
      steps: {
        double: { language: "lua", code: "function run() return sandflow.params.n * 2 end" },
        grand: { workflow: "grand.json", params: { n: "params.n" } },
      },
    },
    "sub/grand.json": {
      params: { n: { type: "integer" } },
      steps: { same: { language: "lua", code: "function run() return sandflow.params.n end" } },
    },
  },
};

describe("workflowSpecOf", () => {
  it("covers every field of the workflow format", () => {
    const stepKeys = new Set(Object.values(EVERY_FIELD.steps).flatMap((s) => Object.keys(s)));
    const missing = Object.keys(stepSpecSchema.shape).filter((k) => !stepKeys.has(k));
    expect(missing, "step fields the fixture does not set: add them, and to workflowSpecOf").toEqual([]);
    const topMissing = Object.keys(workflowSpecSchema.shape).filter((k) => !(k in EVERY_FIELD));
    expect(topMissing, "workflow fields the fixture does not set").toEqual([]);
  });

  it("gives back a workflow that validates to the same definition", () => {
    const { file: _unread, ...steps } = EVERY_FIELD.steps;
    const original = parseWorkflowOrThrow({ ...EVERY_FIELD, steps });
    expect(original.steps.find((x) => x.id === "go")?.wait).toEqual({
      kind: "signal",
      name: "go",
      approval: false,
      timeoutMs: 300_000,
    });
    expect(original.steps.find((x) => x.id === "child")?.subworkflow?.key).toBe("sub/child.yaml");
    expect(
      original.subworkflows?.["sub/child.yaml"]?.steps.find((x) => x.id === "grand")?.subworkflow?.key,
    ).toBe("sub/grand.json");
    const again = parseWorkflowOrThrow(workflowSpecOf(original));
    expect(again).toEqual(original);
  });
});
