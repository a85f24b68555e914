/**
 * A run that waits: one whose steps still running all wait (sleep, a signal, an approval).
 * Its report says `status: "waiting"` and lists what each waiting step waits for, so a
 * person (or the dashboard's Approve / Deny) can see what the run needs.
 */
import type { JournalEntry } from "./durable/journal.js";
import type { RunReport } from "./report.js";
import type { WorkflowDefinition } from "./workflow.js";

type Waiting = NonNullable<RunReport["waiting"]>[number];

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
    const wait = defs.get(id)?.wait;
    if (wait?.kind === "sleep")
      return { step: id, for: "time", until: wait.until ?? firstStart(id) + (wait.ms ?? 0) };
    const timeout = wait?.timeoutMs;
    return {
      step: id,
      for: wait?.approval ? "approval" : "signal",
      signal: wait?.name ?? "",
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
