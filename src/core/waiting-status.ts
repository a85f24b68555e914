/**
 * A run that waits: one whose steps still running all wait (sleep, a signal, an approval).
 * Its report says `status: "waiting"` and lists what each waiting step waits for, so a
 * person (or the dashboard's Approve / Deny) can see what the run needs.
 */
import type { JournalEntry } from "./durable/journal.js";
import type { RunReport } from "./report.js";
import type { WaitSpec, WorkflowDefinition } from "./workflow.js";

type Waiting = NonNullable<RunReport["waiting"]>[number];

/**
 * Whether a run in `status` is still under way (its time goes on; it can be cancelled, not
 * rerun). Here, not beside the report's schema, so the CLI's light entry and the web pages
 * take it without zod.
 */
export function runUnderWay(status: string): boolean {
  return status === "running" || status === "waiting" || status === "queued";
}

/** What a waiting step waits for, from its definition: time, a signal, or an approval. */
export function waitTarget(wait: WaitSpec): { for: Waiting["for"]; signal?: string } {
  if (wait.kind === "sleep") return { for: "time" };
  return wait.approval ? { for: "approval", signal: wait.name } : { for: "signal", signal: wait.name };
}

/** `time`, `approval` or `signal NAME`: what a waiting step waits for, in a word or two. */
export function waitTargetText(wait: WaitSpec): string {
  const t = waitTarget(wait);
  return t.for === "signal" ? `signal ${t.signal}` : t.for;
}

/** The report of a running run with `status: "waiting"` and `waiting` when it waits. */
export function withWaitingStatus(
  report: RunReport,
  workflow: WorkflowDefinition,
  entries: readonly JournalEntry[],
): RunReport {
  if (report.status !== "running" || !onlyWaits(report, workflow)) return report;
  const running = Object.entries(report.steps).filter(([, s]) => s.status === "running");
  const defs = new Map(workflow.steps.map((s) => [s.id, s]));
  const firstStart = (id: string) =>
    entries.find((e) => e.type === "step-started" && e.stepId === id)?.time ?? report.startedAt;
  const waiting = running.map(([id]): Waiting => {
    // onlyWaits: every step still running waits.
    const wait = defs.get(id)?.wait as WaitSpec;
    if (wait.kind === "sleep")
      return { step: id, for: "time", until: wait.until ?? firstStart(id) + (wait.ms ?? 0) };
    const timeout = wait.timeoutMs;
    return {
      step: id,
      ...waitTarget(wait),
      ...(timeout !== undefined ? { until: firstStart(id) + timeout } : {}),
    };
  });
  return { ...report, status: "waiting", waiting };
}

/** Whether the steps a report shows running all wait (sleep, a signal): a run stopped then lost no work. */
export function onlyWaits(report: RunReport, workflow: WorkflowDefinition): boolean {
  const running = Object.entries(report.steps).filter(([, s]) => s.status === "running");
  const defs = new Map(workflow.steps.map((s) => [s.id, s]));
  return running.length > 0 && running.every(([id]) => defs.get(id)?.wait !== undefined);
}

/** What the CLI and the dashboard say of a run that waits for a place under its `concurrency_key`. */
export function queuedText(key: string, maxRuns: number): string {
  const held = maxRuns === 1 ? "a run holds its place" : `${maxRuns} runs hold its places`;
  return `queued: ${held} (concurrency_key '${key}', max_runs ${maxRuns}); it starts when ${maxRuns === 1 ? "that run" : "one of them"} ends`;
}
