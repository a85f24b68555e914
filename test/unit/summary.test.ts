import pc from "picocolors";
import { describe, expect, it } from "vitest";
import { renderSummary } from "../../src/cli/summary.js";
import type { RunReport } from "../../src/core/report.js";

type Step = RunReport["steps"][string];

function step(over: Partial<Step>): Step {
  return {
    status: "succeeded",
    language: "lua",
    output: 1,
    stdout: "",
    stderr: "",
    error: null,
    attempts: 1,
    startedAt: 0,
    finishedAt: 5,
    durationMs: 5,
    ...over,
  } as Step;
}

function report(steps: Record<string, Step>, rerunOf?: string): RunReport {
  return {
    workflow: "w",
    runId: "new-run",
    status: "succeeded",
    startedAt: 0,
    finishedAt: 10,
    durationMs: 10,
    params: {},
    steps,
    ...(rerunOf ? { rerunOf } : {}),
  } as RunReport;
}

describe("the summary after a run", () => {
  it("marks the steps a rerun kept and the cache hits, in a column of their own", () => {
    const text = renderSummary(
      report(
        {
          a: step({ reusedFrom: "0123456789abcdef" }),
          b: step({ cached: true }),
          c: step({ output: 3 }),
        },
        "0123456789abcdef",
      ),
      pc.createColors(false),
    );
    expect(text.split("\n")).toEqual([
      "✔ a    lua         5 ms kept    1",
      "✔ b    lua         5 ms cached  1",
      "✔ c    lua         5 ms         3",
      "",
      "w: succeeded in 10 ms (3 succeeded, 1 kept from 01234567) run new-run",
      "",
    ]);
  });

  it("shows a saga's compensations under the steps they undid, and counts them", () => {
    const failed = { ...report({}), status: "failed" } as RunReport;
    const text = renderSummary(
      {
        ...failed,
        steps: {
          a: step({ compensation: { status: "succeeded", output: { undone: 1 }, error: null } }),
          b: step({
            compensation: {
              status: "failed",
              output: null,
              error: { name: "StepRuntimeError", message: "no\nmore" },
            },
          }),
          c: step({ status: "failed", output: null, error: { name: "StepRuntimeError", message: "boom" } }),
        },
      },
      pc.createColors(false),
    );
    expect(text.split("\n")).toEqual([
      "✔ a    lua         5 ms  1",
      '       ↩ compensated  {"undone":1}',
      "✔ b    lua         5 ms  1",
      "       ↩ compensation failed: StepRuntimeError: no",
      "✖ c    lua         5 ms  StepRuntimeError: boom",
      "",
      "w: failed in 10 ms (2 succeeded, 1 failed, 1 compensated, 1 compensation failed) run new-run",
      "",
    ]);
  });

  it("counts a repeat step's iterations apart from its retries", () => {
    const text = renderSummary(
      report({
        loop: step({ iterations: 3, attempts: 3 }),
        flaky: step({ iterations: 2, attempts: 3 }),
        retried: step({ attempts: 2 }),
      }),
      pc.createColors(false),
    );
    expect(text.split("\n").slice(0, 3)).toEqual([
      "✔ loop    lua         5 ms 3 iterations  1",
      "✔ flaky   lua         5 ms 2 iterations ×3  1",
      "✔ retried lua         5 ms ×2  1",
    ]);
  });

  it("adds no column when every step ran in this run", () => {
    const text = renderSummary(report({ a: step({}) }), pc.createColors(false));
    expect(text.split("\n")[0]).toBe("✔ a    lua         5 ms  1");
  });
});
