/**
 * `sandflow run --server` sends a loaded workflow back as a file would write it
 * (workflowSpecOf): every field of the format must survive the round trip, so a field added
 * to the schema and not to workflowSpecOf fails here rather than vanishing on the server.
 */
import { describe, expect, it } from "vitest";
import { workflowSpecOf } from "../../src/cli/remote-run.js";
import { stepSpecSchema, type WorkflowSpec, workflowSpecSchema } from "../../src/core/schema.js";
import { parseWorkflowOrThrow } from "../../src/core/validate.js";

/** A workflow that sets every workflow field and, over its steps, every step field. */
const EVERY_FIELD: WorkflowSpec = {
  name: "every-field",
  description: "all of them",
  concurrency: 3,
  on: [{ event: "a" }, { event: "b" }],
  schedule: "*/5 * * * *",
  timezone: "Europe/Paris",
  defaults: { retries: 1 },
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
    },
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
    const again = parseWorkflowOrThrow(workflowSpecOf(original));
    expect(again).toEqual(original);
  });
});
