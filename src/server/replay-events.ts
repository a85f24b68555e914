/**
 * The events of a stored run, rebuilt from its journal for runs this server holds no log of
 * (started by another process or before a restart): a step's output arrives as one log
 * event per stream when its attempt ends. Numbered 1, 2, ... like a live log.
 */
import type { StoredRun } from "../core/durable/store.js";
import { storedReport } from "../core/durable/stored-run.js";
import type { RunEvent } from "../core/events.js";

function logs(
  runId: string,
  stepId: string,
  attempt: number,
  time: number,
  out: string,
  err: string,
): RunEvent[] {
  const events: RunEvent[] = [];
  if (out) events.push({ type: "log", runId, stepId, time, attempt, stream: "stdout", text: out });
  if (err) events.push({ type: "log", runId, stepId, time, attempt, stream: "stderr", text: err });
  return events;
}

/** The run's events as its journal tells them; ends with `run-finished` when the run finished. */
export function replayEvents(run: StoredRun, now: number): RunEvent[] {
  const { runId, workflow, createdAt } = run.record;
  const events: RunEvent[] = [
    {
      type: "run-started",
      runId,
      workflow: workflow.name,
      steps: workflow.steps.map((s) => s.id),
      time: createdAt,
    },
  ];
  for (const e of run.entries) {
    switch (e.type) {
      case "run-resumed":
        break;
      case "step-started":
        events.push({ type: "step-started", runId, stepId: e.stepId, time: e.time, attempt: e.attempt });
        break;
      case "step-succeeded":
        events.push(...logs(runId, e.stepId, e.attempt, e.time, e.stdout, e.stderr));
        events.push({
          type: "step-succeeded",
          runId,
          stepId: e.stepId,
          time: e.time,
          attempt: e.attempt,
          durationMs: e.finishedAt - e.startedAt,
        });
        break;
      case "step-failed":
        events.push(...logs(runId, e.stepId, e.attempt, e.time, e.stdout, e.stderr));
        events.push({
          type: "step-failed",
          runId,
          stepId: e.stepId,
          time: e.time,
          attempt: e.attempt,
          error: e.error,
        });
        break;
      case "step-retrying":
        events.push(...logs(runId, e.stepId, e.attempt, e.time, e.stdout, e.stderr));
        events.push({
          type: "step-retrying",
          runId,
          stepId: e.stepId,
          time: e.time,
          attempt: e.attempt,
          error: e.error,
          delayMs: Math.max(0, e.wakeAt - e.time),
        });
        break;
      case "step-skipped":
      case "step-cancelled":
        events.push({ type: e.type, runId, stepId: e.stepId, time: e.time, reason: e.reason });
        break;
      case "run-finished":
        events.push({
          type: "run-finished",
          runId,
          status: e.status,
          time: e.time,
          report: storedReport(run, now),
        });
        break;
    }
  }
  return events;
}
