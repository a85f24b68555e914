import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defineWorkflow, workflow } from "../../src/core/builder.js";
import type { Engine } from "../../src/core/engine.js";
import type { WorkflowValidationError } from "../../src/core/errors.js";
import type { RunReport } from "../../src/core/report.js";
import { dependencyCounts, ruleVerdict, TRIGGER_RULES } from "../../src/core/trigger-rules.js";
import { parseWorkflow } from "../../src/core/validate.js";
import { createEngine } from "../../src/node/create-engine.js";

let engine: Engine;
beforeAll(() => {
  engine = createEngine({ threads: 2, isolation: "thread", store: false });
});
afterAll(async () => {
  await engine.close();
});

const statuses = (r: RunReport) =>
  Object.fromEntries(
    Object.entries(r.steps).map(([id, s]) => [id, s.error ? `${s.status} ${s.error.name}` : s.status]),
  );

const OK = "function run() return 1 end";
const FAIL = 'function run() error("boom") end';

describe("when: conditions", () => {
  it("a false condition skips the step (ConditionFalseError) without failing the run", async () => {
    const wf = workflow("when")
      .param("env", { type: "string", default: "prod" })
      .lua("probe", "function run() return { healthy = false, count = 3 } end")
      .lua("deploy", OK, { when: 'params.env == "prod"' })
      .lua("staging", OK, { when: 'params.env == "staging"' })
      .lua("alert", OK, { depends_on: ["probe"], when: "!inputs.probe.healthy && inputs.probe.count > 2" })
      .lua("after_staging", OK, { depends_on: ["staging"] })
      .lua("cleanup", OK, { depends_on: ["staging"], trigger_rule: "none_failed" })
      .lua("always", OK, { depends_on: ["staging"], trigger_rule: "all_done" })
      .build();
    const r = await engine.run(wf);
    expect(r.status).toBe("succeeded");
    expect(statuses(r)).toEqual({
      probe: "succeeded",
      deploy: "succeeded",
      staging: "skipped ConditionFalseError",
      alert: "succeeded",
      after_staging: "skipped UpstreamFailedError",
      cleanup: "succeeded",
      always: "succeeded",
    });
    expect(r.steps.staging?.error?.message).toBe('not run: its condition is false: params.env == "staging"');
    expect(r.steps.after_staging?.error?.message).toBe("not run: dependency 'staging' was skipped");
    const other = await engine.run(wf, { params: { env: "staging" } });
    expect(other.steps.deploy?.status).toBe("skipped");
    expect(other.steps.after_staging?.status).toBe("succeeded");
  });

  it("a condition that cannot be evaluated, or is not a boolean, fails the step (ExpressionError)", async () => {
    const wf = workflow("bad-when")
      .lua("a", "function run() return { n = 1 } end")
      .lua("missing", OK, { depends_on: ["a"], when: "inputs.a.nope > 1" })
      .lua("number", OK, { depends_on: ["a"], when: "inputs.a.n + 1" })
      .lua("after", OK, { depends_on: ["missing"] })
      .build();
    const r = await engine.run(wf);
    expect(r.status).toBe("failed");
    expect(statuses(r)).toMatchObject({
      missing: "failed ExpressionError",
      number: "failed ExpressionError",
      after: "skipped UpstreamFailedError",
    });
    expect(r.steps.missing?.error?.message).toBe("steps.missing.when: No such key: nope");
    expect(r.steps.number?.error?.message).toBe(
      "steps.number.when: the condition must be true or false, got 2",
    );
    expect(r.steps.missing?.attempts).toBe(0);
  });

  it("bad expressions are validation errors naming the step and field, before the run", () => {
    const r = parseWorkflow({
      steps: {
        syntax: { code: OK, when: "params.x >" },
        unknown: { code: OK, when: "item == 1" },
        long: { code: OK, when: `${"1 + ".repeat(600)}1 == 2` },
        deep: { code: OK, when: `${"(".repeat(40)}true${")".repeat(40)}` },
        empty: { code: OK, when: " " },
        rule: { code: OK, trigger_rule: "all_good" },
      },
    });
    expect(r.ok).toBe(false);
    const issues = (r as { error: WorkflowValidationError }).error.issues;
    const byPath = Object.fromEntries(issues.map((i) => [i.path, i.message]));
    expect(Object.keys(byPath).sort()).toEqual([
      "steps.deep.when",
      "steps.empty.when",
      "steps.long.when",
      "steps.rule.trigger_rule",
      "steps.syntax.when",
      "steps.unknown.when",
    ]);
    expect(byPath["steps.syntax.when"]).toMatch(/^not a valid CEL expression: Unexpected token/);
    expect(byPath["steps.unknown.when"]).toContain("Unknown variable: item");
    expect(byPath["steps.long.when"]).toMatch(/characters long; the limit is 2048|maxAstNodes/);
    expect(byPath["steps.deep.when"]).toContain("maxDepth");
  });
});

describe("trigger_rule", () => {
  /** ok succeeds, bad fails; each rule's step depends on both. */
  const rules = () => {
    const steps: Record<string, object> = {
      ok: { language: "lua", code: OK },
      bad: { language: "lua", code: FAIL },
      bad2: { language: "lua", code: FAIL },
    };
    for (const rule of TRIGGER_RULES) {
      steps[`mixed_${rule}`] = { language: "lua", code: OK, depends_on: ["ok", "bad"], trigger_rule: rule };
      steps[`failed_${rule}`] = {
        language: "lua",
        code: OK,
        depends_on: ["bad", "bad2"],
        trigger_rule: rule,
      };
    }
    return defineWorkflow({ name: "rules", steps } as Parameters<typeof defineWorkflow>[0]);
  };

  it("each of Airflow's six rules runs or skips as Airflow's does; the run fails when any step failed", async () => {
    const r = await engine.run(rules());
    expect(r.status).toBe("failed");
    const s = statuses(r);
    expect(s).toMatchObject({
      mixed_all_success: "skipped UpstreamFailedError",
      mixed_all_done: "succeeded",
      mixed_all_failed: "skipped UpstreamFailedError",
      mixed_one_failed: "succeeded",
      mixed_one_success: "succeeded",
      mixed_none_failed: "skipped UpstreamFailedError",
      failed_all_success: "skipped UpstreamFailedError",
      failed_all_done: "succeeded",
      failed_all_failed: "succeeded",
      failed_one_failed: "succeeded",
      failed_one_success: "skipped UpstreamFailedError",
      failed_none_failed: "skipped UpstreamFailedError",
    });
    expect(r.steps.failed_one_success?.error?.message).toBe(
      "not run: trigger_rule one_success: no dependency succeeded",
    );
  });

  it("a cleanup step (all_done) runs after a failure, and the run still fails", async () => {
    const wf = workflow("cleanup")
      .lua("work", FAIL)
      .lua("cleanup", "function run(inputs) return { saw = inputs.work } end", {
        depends_on: ["work"],
        trigger_rule: "all_done",
      })
      .build();
    const r = await engine.run(wf);
    expect(r.status).toBe("failed");
    expect(r.steps.cleanup?.status).toBe("succeeded");
    expect(r.steps.cleanup?.output).toEqual({});
  });

  it("one_success runs as soon as one dependency succeeded, not after the slowest", async () => {
    const wf = workflow("race")
      .lua("fast", OK)
      .python("slow", "import time\ndef run():\n    time.sleep(1.5)\n    return 2")
      .lua("first", "function run() return sandflow.step_id end", {
        depends_on: ["fast", "slow"],
        trigger_rule: "one_success",
      })
      .build();
    const r = await engine.run(wf);
    expect(r.status).toBe("succeeded");
    expect(r.steps.first?.finishedAt ?? 0).toBeLessThan(r.steps.slow?.finishedAt ?? 0);
  });

  it("ruleVerdict waits while the outcome is open", () => {
    const c = dependencyCounts(2);
    expect(TRIGGER_RULES.map((rule) => ruleVerdict(rule, c))).toEqual(TRIGGER_RULES.map(() => "wait"));
    c.succeeded = 1;
    expect(ruleVerdict("one_success", c)).toBe("run");
    expect(ruleVerdict("all_failed", c)).toBe("skip");
    expect(ruleVerdict("all_done", c)).toBe("wait");
  });
});
