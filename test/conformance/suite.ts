/**
 * The conformance suite: workflow files (Lua, YAML, JSON) that must give the same run
 * report in Node and in a browser, once timings and ids are normalised. Used by the Node
 * run (test/conformance/node.test.ts) and by the Chromium comparison (test/browser/).
 */
import { readdirSync, readFileSync } from "node:fs";
import type { RunReport } from "../../src/core/report.js";

/** One workflow file of the suite. */
export interface ConformanceCase {
  /** File name, e.g. `files.yaml`. */
  readonly name: string;
  readonly text: string;
}

const DIR = new URL("./workflows/", import.meta.url);

/** Every workflow of the suite, by file name. */
export function conformanceCases(): ConformanceCase[] {
  return readdirSync(DIR)
    .filter((name) => /\.(lua|ya?ml|json)$/.test(name))
    .sort()
    .map((name) => ({ name, text: readFileSync(new URL(name, DIR), "utf8") }));
}

/** The run id both platforms are given, so outputs that show it agree too. */
export function conformanceRunId(name: string): string {
  return `conformance-${name.replace(/\W+/g, "-")}`;
}

const TIME_FIELDS = new Set(["startedAt", "finishedAt", "durationMs"]);

/**
 * A step past its timeout is interrupted, and its worker replaced if it does not stop within a
 * grace period: which of the two happened depends on how soon a loaded machine lets the
 * worker notice, not on the platform. The timeout itself still has to match.
 */
function stoppedAlike(step: RunReport["steps"][string]): RunReport["steps"][string] {
  if (step.error?.name !== "StepTimeoutError") return step;
  const message = step.error.message.replace(
    / and did not stop when interrupted; its worker was replaced$/,
    " and was stopped",
  );
  return { ...step, error: { ...step.error, message } };
}

/**
 * The report with what legitimately differs between runs replaced: the run id, every time and
 * duration (a number becomes `"<time>"`; `null`, for a step that never ran, stays), and how a
 * timed-out step was stopped.
 */
export function normalizeReport(report: RunReport): unknown {
  const times = (o: Record<string, unknown>) =>
    Object.fromEntries(
      Object.entries(o).map(([k, v]) => [k, TIME_FIELDS.has(k) && typeof v === "number" ? "<time>" : v]),
    );
  return {
    ...times(report as unknown as Record<string, unknown>),
    runId: "<runId>",
    steps: Object.fromEntries(
      Object.entries(report.steps)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([id, step]) => [id, times(stoppedAlike(step) as unknown as Record<string, unknown>)]),
    ),
  };
}
