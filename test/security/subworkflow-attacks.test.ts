/**
 * Sub-workflows as an attacker writes them: a workflow that calls itself without end, for_each
 * fan-outs of sub-workflows nested in each other, paths that lead out of the workflow's
 * folder (`..`, absolute, through a symlinked folder) and a flood of inline workflows. Each
 * ends in a clear error; the engine runs the next workflow as usual.
 */
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defineWorkflow } from "../../src/core/builder.js";
import { MemoryStore } from "../../src/core/durable/memory-store.js";
import type { Engine } from "../../src/core/engine.js";
import type { WorkflowValidationError } from "../../src/core/errors.js";
import { parseWorkflow } from "../../src/core/validate.js";
import { createEngine } from "../../src/node/create-engine.js";
import { loadWorkflowFile } from "../../src/node/workflow-file.js";

let engine: Engine;
beforeAll(() => {
  engine = createEngine({
    threads: 2,
    isolation: "thread",
    store: new MemoryStore(),
    maxSubworkflowRuns: 40,
  });
});
afterAll(async () => {
  await engine.close();
});

const ok = { language: "lua" as const, code: "function run() return 1 end" };

async function stillRuns(): Promise<void> {
  const r = await engine.run(defineWorkflow({ name: "after", steps: { a: ok } }));
  expect(r.status).toBe("succeeded");
}

describe("hostile sub-workflows", () => {
  it("a workflow calling itself without end stops at 8 levels", async () => {
    const loop = { steps: { again: { workflow: "loop.yaml" } } };
    const r = await engine.run(defineWorkflow({ name: "loop", ...loop, workflows: { "loop.yaml": loop } }));
    expect(r.status).toBe("failed");
    expect(r.steps.again?.error?.message).toMatch(/SubworkflowDepthError: .*the limit is 8/);
    await stillRuns();
  });

  it("for_each fan-outs of sub-workflows nested in each other stop at the engine's maxSubworkflowRuns", async () => {
    const bomb = { steps: { fan: { workflow: "bomb.yaml", for_each: "[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]" } } };
    const started = Date.now();
    const r = await engine.run(defineWorkflow({ name: "bomb", ...bomb, workflows: { "bomb.yaml": bomb } }));
    expect(r.status).toBe("failed");
    expect(JSON.stringify(r.steps.fan?.items)).toMatch(/SubworkflowLimitError/);
    expect(Date.now() - started).toBeLessThan(60_000);
    await stillRuns();
  });

  it("paths out of the folder, in files or through a symlinked folder, are refused before anything runs", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sf-sub-attack-"));
    const outside = mkdtempSync(join(tmpdir(), "sf-sub-outside-"));
    writeFileSync(
      join(outside, "evil.yaml"),
      "steps:\n  a:\n    language: lua\n    code: 'function run() return 1 end'\n",
    );
    mkdirSync(join(dir, "inner"));
    symlinkSync(outside, join(dir, "inner", "link"));
    writeFileSync(
      join(dir, "top.yaml"),
      [
        "steps:",
        "  b: { workflow: ../evil.yaml }",
        `  c: { workflow: ${JSON.stringify(join(outside, "evil.yaml"))} }`,
        "  d: { workflow: /etc/passwd }",
        "  e: { workflow: inner/../../evil.yaml }",
        "",
      ].join("\n"),
    );
    const loaded = await loadWorkflowFile(join(dir, "top.yaml"));
    expect(loaded.ok).toBe(false);
    const issues = (loaded as { error: WorkflowValidationError }).error.issues.map(
      (i) => `${i.path}: ${i.message}`,
    );
    expect(issues).toEqual([
      "steps.b.workflow: \"../evil.yaml\" must stay inside the workflow's folder (no '..')",
      `steps.c.workflow: ${JSON.stringify(join(outside, "evil.yaml"))} must be relative to the workflow file`,
      'steps.d.workflow: "/etc/passwd" must be relative to the workflow file',
      "steps.e.workflow: \"inner/../../evil.yaml\" must stay inside the workflow's folder (no '..')",
    ]);
    // Well-formed, but through a symlinked folder: found when the file is read.
    writeFileSync(join(dir, "linked.yaml"), "steps:\n  a: { workflow: inner/link/evil.yaml }\n");
    const linked = await loadWorkflowFile(join(dir, "linked.yaml"));
    expect(linked.ok).toBe(false);
    expect((linked as { error: WorkflowValidationError }).error.issues).toEqual([
      {
        path: "steps.a.workflow",
        message: '"inner/link/evil.yaml": it leads outside the workflow\'s folder (through a symlink)',
      },
    ]);
  });

  it("a flood of inline workflows is refused", () => {
    const workflows = Object.fromEntries(
      Array.from({ length: 101 }, (_, i) => [`w${i}.yaml`, { steps: { a: ok } }]),
    );
    const r = parseWorkflow({ steps: { a: { workflow: "w0.yaml" } }, workflows });
    expect(r.ok).toBe(false);
    expect((r as { error: WorkflowValidationError }).error.issues).toContainEqual({
      path: "workflows",
      message: "holds 101 workflows; the limit is 100",
    });
  });
});
