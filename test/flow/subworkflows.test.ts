/**
 * Sub-workflows: a step with `workflow` runs another workflow as a run of its own
 * (`parentRun` in its report); its output is the child's leaf outputs keyed by step id; the
 * child's failure fails the step; nesting stops at 8 levels. Children come inline
 * (`workflows`) or, for a file, from the files beside it.
 */
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defineWorkflow, workflow } from "../../src/core/builder.js";
import { MemoryStore } from "../../src/core/durable/memory-store.js";
import type { Engine } from "../../src/core/engine.js";
import { WorkflowValidationError } from "../../src/core/errors.js";
import { renderGraph } from "../../src/core/graph-render.js";
import type { WorkflowSpec } from "../../src/core/schema.js";
import { childRunIdOf } from "../../src/core/subworkflow-steps.js";
import { parseWorkflow } from "../../src/core/validate.js";
import { createEngine } from "../../src/node/create-engine.js";
import { loadWorkflowFile } from "../../src/node/workflow-file.js";

let engine: Engine;
beforeAll(() => {
  engine = createEngine({ threads: 2, isolation: "thread", store: new MemoryStore() });
});
afterAll(async () => {
  await engine.close();
});

const lua = (code: string) => ({ language: "lua" as const, code: `function run(inputs) ${code} end` });

/** A child that doubles its param `n` and, beside it, echoes `tag`. */
const CHILD: WorkflowSpec = {
  params: { n: { type: "integer" }, tag: { type: "string", default: "-" } },
  steps: {
    double: lua("return sandflow.params.n * 2"),
    plus: { ...lua("return inputs.double + 1"), depends_on: ["double"] },
    tag: lua("return sandflow.params.tag"),
  },
};

function issuesOf(raw: unknown): string[] {
  const r = parseWorkflow(raw);
  if (r.ok) return [];
  return r.error.issues.map((i) => `${i.path}: ${i.message}`);
}

describe("sub-workflows", () => {
  it("run the child with params evaluated in the parent; the output is its leaf outputs by id", async () => {
    const wf = workflow("parent")
      .param("n", { type: "integer", default: 5 })
      .lua("three", "function run() return 3 end")
      .subworkflow("child", "child.yaml", {
        depends_on: ["three"],
        params: { n: "params.n + inputs.three", tag: "'x' + string(params.n)" },
      })
      .workflow("child.yaml", CHILD)
      .lua("after", "function run(inputs) return inputs.child.plus end", { depends_on: ["child"] })
      .build();
    const r = await engine.run(wf);
    expect(r.status).toBe("succeeded");
    expect(r.steps.child?.output).toEqual({ plus: 17, tag: "x5" });
    expect(r.steps.after?.output).toBe(17);
    const childId = /run (\S+) succeeded/.exec(r.steps.child?.stdout ?? "")?.[1] as string;
    expect(childId).toBe(childRunIdOf(r.runId, "child", undefined, 1));
    const child = await engine.report(childId);
    expect(child.parentRun).toBe(r.runId);
    expect(child.workflow).toBe("child");
    expect(child.params).toEqual({ n: 8, tag: "x5" });
    expect(r.parentRun).toBeUndefined();
  });

  it("run once per item of a for_each, each item a child run of its own", async () => {
    const wf = workflow("fan")
      .subworkflow("each", "child.yaml", { for_each: "[1, 2, 3]", params: { n: "item * 10 + index" } })
      .workflow("child.yaml", CHILD)
      .build();
    const r = await engine.run(wf);
    expect(r.status).toBe("succeeded");
    expect(r.steps.each?.output).toEqual([
      { plus: 21, tag: "-" },
      { plus: 43, tag: "-" },
      { plus: 65, tag: "-" },
    ]);
  });

  it("fail the step when the child fails, naming the child run and its failed step", async () => {
    const wf = workflow("parent")
      .subworkflow("child", "bad.yaml")
      .workflow("bad.yaml", { steps: { boom: lua('error("no luck")') } })
      .lua("after", "function run() return 1 end", { depends_on: ["child"] })
      .build();
    const r = await engine.run(wf);
    expect(r.status).toBe("failed");
    expect(r.steps.child?.error?.name).toBe("SubworkflowFailedError");
    expect(r.steps.child?.error?.message).toMatch(
      /sub-workflow bad\.yaml \(run \S+\) failed: step 'boom' failed: .*no luck/,
    );
    expect(r.steps.after?.status).toBe("skipped");
  });

  it("name a failure several levels down as one path of runs and steps, with the cause once", async () => {
    const wf = workflow("top")
      .subworkflow("outer", "middle.yaml")
      .workflow("middle.yaml", { steps: { inner: { workflow: "bottom.yaml" } } })
      .workflow("bottom.yaml", { steps: { boom: lua('error("deep down")') } })
      .build();
    const r = await engine.run(wf);
    const message = r.steps.outer?.error?.message ?? "";
    const id = "[0-9a-f-]{36}";
    expect(message).toMatch(
      new RegExp(
        `^sub-workflow middle\\.yaml \\(run ${id}\\) failed: step 'inner' → bottom\\.yaml \\(run ${id}\\) step 'boom' failed: StepRuntimeError: .*deep down`,
      ),
    );
    expect(message.match(/SubworkflowFailedError/g)).toBeNull();
  });

  it("fail the step with InvalidParamsError when the params do not fit the child", async () => {
    const wf = workflow("parent")
      .subworkflow("child", "child.yaml", { params: { n: "'not a number'" } })
      .workflow("child.yaml", CHILD)
      .build();
    const r = await engine.run(wf);
    expect(r.steps.child?.error?.name).toBe("InvalidParamsError");
    expect(r.steps.child?.error?.message).toMatch(/sub-workflow child\.yaml: .*n/);
  });

  it("refuse, when loaded, sub-workflows that start each other with no condition; a 'when' or a 'for_each' ends recursion", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sf-recursion-"));
    const write = (name: string, text: string) => {
      writeFileSync(join(dir, name), text);
      return join(dir, name);
    };
    const a = write("a.yaml", "name: a\nsteps:\n  call_b:\n    workflow: b.yaml\n");
    write(
      "b.yaml",
      "name: b\nsteps:\n  first:\n    language: lua\n    code: 'function run() return 1 end'\n  call_a:\n    depends_on: [first]\n    workflow: a.yaml\n",
    );
    const loaded = await loadWorkflowFile(a);
    expect(loaded.ok).toBe(false);
    const issues = !loaded.ok && loaded.error instanceof WorkflowValidationError ? loaded.error.issues : [];
    expect(issues).toEqual([
      {
        path: 'workflows["a.yaml"].steps.call_b.workflow',
        message:
          "sub-workflows start each other with no condition: b.yaml → a.yaml → b.yaml; every run would start the next until the limit of 8 nested runs fails them all (end the recursion with a 'when' or a 'for_each')",
      },
    ]);
    const self = write("self.yaml", "name: self\nsteps:\n  again:\n    workflow: self.yaml\n");
    expect((await loadWorkflowFile(self)).ok).toBe(false);
    const guarded = write(
      "guarded.yaml",
      "name: guarded\nparams:\n  n: {type: integer, default: 2}\nsteps:\n  again:\n    workflow: guarded.yaml\n    when: 'params.n > 0'\n    params: {n: 'params.n - 1'}\n",
    );
    const tree = write(
      "tree.yaml",
      "name: tree\nsteps:\n  kids:\n    workflow: tree.yaml\n    for_each: '[]'\n",
    );
    expect((await loadWorkflowFile(guarded)).ok).toBe(true);
    expect((await loadWorkflowFile(tree)).ok).toBe(true);
  });

  it("let a workflow call itself, and stop a recursion deeper than 8 levels", async () => {
    const self = (limit: number) =>
      workflow("self")
        .param("depth", { type: "integer", default: 0 })
        .lua("here", "function run() return sandflow.params.depth end")
        .subworkflow("again", "self.yaml", {
          when: `params.depth < ${limit}`,
          params: { depth: "params.depth + 1" },
        })
        .workflow("self.yaml", {
          params: { depth: { type: "integer", default: 0 } },
          steps: {
            here: lua("return sandflow.params.depth"),
            again: {
              workflow: "self.yaml",
              when: `params.depth < ${limit}`,
              params: { depth: "params.depth + 1" },
            },
          },
        })
        .build();
    const ok = await engine.run(self(3));
    expect(ok.status).toBe("succeeded");
    expect(ok.steps.again?.output).toEqual({ here: 1, again: { here: 2, again: { here: 3, again: null } } });
    const deep = await engine.run(self(100));
    expect(deep.status).toBe("failed");
    const message = deep.steps.again?.error?.message ?? "";
    expect(deep.steps.again?.error?.name).toBe("SubworkflowFailedError");
    expect(message).toMatch(
      /SubworkflowDepthError: sub-workflow self\.yaml would nest 9 levels deep; the limit is 8/,
    );
  });

  it("run in their ancestor's place when they share its concurrency_key (no deadlock), and queue otherwise", async () => {
    const nested = {
      concurrency_key: "deploys",
      params: { depth: { type: "integer" as const, default: 0 } },
      steps: {
        here: lua("return sandflow.params.depth"),
        again: { workflow: "nested.yaml", when: "params.depth < 2", params: { depth: "params.depth + 1" } },
      },
    };
    const wf = defineWorkflow({ name: "nested", ...nested, workflows: { "nested.yaml": nested } });
    const r = await Promise.race([
      engine.run(wf),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error("deadlocked")), 30_000)),
    ]);
    expect(r.status).toBe("succeeded");
    expect(r.steps.again?.output).toEqual({ here: 1, again: { here: 2, again: null } });
    // Two sibling children with a key their parent does not hold still take turns (max_runs 1).
    const slow = { concurrency_key: "one-at-a-time", steps: { nap: { sleep: "300ms" } } };
    const siblings = await engine.run(
      defineWorkflow({
        name: "siblings",
        steps: { a: { workflow: "slow.yaml" }, b: { workflow: "slow.yaml" } },
        workflows: { "slow.yaml": slow },
      }),
    );
    expect(siblings.status).toBe("succeeded");
    const [first, second] = [siblings.steps.a, siblings.steps.b].sort(
      (x, y) => (x?.finishedAt ?? 0) - (y?.finishedAt ?? 0),
    );
    expect((second?.finishedAt ?? 0) - (first?.finishedAt ?? 0)).toBeGreaterThanOrEqual(250);
  });

  it("are validated with the parent: fields of code, params without workflow, bad expressions, bad paths", () => {
    expect(
      issuesOf({
        steps: {
          a: { workflow: "c.yaml", code: "x", language: "lua", params: { n: "params.(" } },
          b: { ...lua("return 1"), params: { n: "1" } },
          c: { workflow: "../up.yaml" },
        },
        workflows: {
          "c.yaml": { steps: { x: { workflow: "d.yaml", language: "python" } }, workflows: {} },
          "/abs.yaml": { steps: {} },
          "e.yaml": { steps: { y: { code: 1 } } },
        },
      }),
    ).toEqual(
      expect.arrayContaining([
        "steps.a.code: a step that runs a workflow runs no code of its own, so 'code' does not apply; remove it",
        "steps.a.language: a step that runs a workflow runs no code of its own, so 'language' does not apply; remove it",
        expect.stringMatching(/^steps\.a\.params\.n: not a valid CEL expression/),
        "steps.b.params: applies to steps that run a workflow; add 'workflow' or remove it",
        "steps.c.workflow: \"../up.yaml\" must stay inside the workflow's folder (no '..')",
        'workflows["c.yaml"].workflows: an inline workflow cannot hold workflows of its own; put them all in the top workflow\'s',
        'workflows["/abs.yaml"]: "/abs.yaml" must be relative to the workflow file',
        expect.stringMatching(/^workflows\["e\.yaml"\]\.steps\.y\.code: /),
      ]),
    );
  });

  it("name a child that is neither inline nor readable, before anything runs", async () => {
    const text = "steps:\n  a:\n    workflow: missing.yaml\n";
    const e = await engine.parse(text).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(WorkflowValidationError);
    expect((e as WorkflowValidationError).issues[0]?.path).toBe("steps.a.workflow");
    const built = parseWorkflow({ steps: { a: { workflow: "missing.yaml" } } });
    if (!built.ok) throw built.error;
    expect(() => engine.start(built.value)).toThrow(/"missing\.yaml" is not loaded/);
  });

  it("show in the graph", () => {
    const wf = workflow("g").subworkflow("child", "child.yaml").workflow("child.yaml", CHILD).build();
    expect(renderGraph(wf, "mermaid")).toContain('s_child["child (workflow)<br>workflow: child.yaml"]');
    expect(renderGraph(wf, "dot")).toContain('"child" [label="child\\nworkflow\\nworkflow: child.yaml"];');
  });
});

describe("sub-workflows in files", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "sandflow-sub-"));
    mkdirSync(join(dir, "sub"));
    writeFileSync(
      join(dir, "top.yaml"),
      "steps:\n  a:\n    workflow: sub/child.lua\n    params: { n: '4' }\n  b:\n    workflow: ./sub/child.lua\n    params: { n: '5' }\n",
    );
    writeFileSync(
      join(dir, "sub", "child.lua"),
      'workflow = { params = { n = { type = "integer" } }, steps = { x = { language = "lua", file = "x.lua" }, y = { workflow = "leaf.json", params = { n = "params.n" } } } }\n',
    );
    writeFileSync(join(dir, "sub", "x.lua"), "function run() return sandflow.params.n * 3 end\n");
    writeFileSync(
      join(dir, "sub", "leaf.json"),
      JSON.stringify({ params: { n: { type: "integer" } }, steps: { z: lua("return -sandflow.params.n") } }),
    );
    writeFileSync(
      join(dir, "bad.yaml"),
      "steps:\n  a:\n    workflow: nope.yaml\n  b:\n    workflow: out.yaml\n",
    );
    symlinkSync("/etc/hostname", join(dir, "out.yaml"));
  });

  it("are read from the workflow's folder in any format, with their own step files, once each", async () => {
    const loaded = await loadWorkflowFile(join(dir, "top.yaml"));
    if (!loaded.ok) throw loaded.error;
    expect(Object.keys(loaded.value.subworkflows ?? {}).sort()).toEqual(["sub/child.lua", "sub/leaf.json"]);
    const r = await engine.run(loaded.value);
    expect(r.status).toBe("succeeded");
    expect(r.steps.a?.output).toEqual({ x: 12, y: { z: -4 } });
    expect(r.steps.b?.output).toEqual({ x: 15, y: { z: -5 } });
  });

  it("that are missing or lead outside the folder are named at their step", async () => {
    const loaded = await loadWorkflowFile(join(dir, "bad.yaml"));
    expect(loaded.ok).toBe(false);
    const issues = (loaded as { error: WorkflowValidationError }).error.issues;
    expect(issues).toEqual([
      { path: "steps.a.workflow", message: '"nope.yaml": no such file' },
      {
        path: "steps.b.workflow",
        message: '"out.yaml": it leads outside the workflow\'s folder (through a symlink)',
      },
    ]);
  });
});
