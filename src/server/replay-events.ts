/**
 * The events of a stored run, rebuilt from its journal for runs this server holds no log of
 * (started by another process or before a restart): a step's output arrives as one log
 * event per stream when its attempt ends. Numbered 1, 2, ... like a live log.
 */
import { compensatedStep } from "../core/compensation.js";
import type { JournalEntry } from "../core/durable/journal.js";
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

/** The live events of a compensation's journal entry (journaled as the step `ID#compensate`). */
function compensationEvents(runId: string, stepId: string, e: JournalEntry): RunEvent[] {
  if (e.type === "step-started") return [{ type: "compensation-started", runId, stepId, time: e.time }];
  if (e.type !== "step-succeeded" && e.type !== "step-failed") return [];
  return [
    {
      type: "compensation-finished",
      runId,
      stepId,
      time: e.time,
      status: e.type === "step-succeeded" ? "succeeded" : "failed",
      ...(e.type === "step-failed" ? { error: e.error } : {}),
      durationMs: e.finishedAt - e.startedAt,
    },
  ];
}

/** The run's events as its journal tells them; ends with `run-finished` when the run finished. */
export function replayEvents(run: StoredRun, now: number): RunEvent[] {
  const { runId, workflow, createdAt } = run.record;
  // As live: a run that waited for a place under its concurrency_key says so before it starts.
  const queued = run.entries.find((e) => e.type === "run-queued");
  const events: RunEvent[] = [
    ...(queued?.type === "run-queued"
      ? [
          {
            type: "run-queued" as const,
            runId,
            time: queued.time,
            key: queued.key,
            maxRuns: workflow.maxRuns ?? 1,
          },
        ]
      : []),
    {
      type: "run-started",
      runId,
      workflow: workflow.name,
      steps: workflow.steps.map((s) => s.id),
      time: createdAt,
    },
  ];
  const waits = new Map(workflow.steps.flatMap((s) => (s.wait ? [[s.id, s.wait] as const] : [])));
  // Durations run from the start of a step's first attempt (as the live events' do).
  const firstStart = new Map<string, number>();
  const since = (stepId: string, startedAt: number, finishedAt: number) => {
    if (!firstStart.has(stepId)) firstStart.set(stepId, startedAt);
    return finishedAt - (firstStart.get(stepId) as number);
  };
  for (const e of run.entries) {
    const compensated = "stepId" in e ? compensatedStep(e.stepId) : undefined;
    if (compensated !== undefined) {
      events.push(...compensationEvents(runId, compensated, e));
      continue;
    }
    switch (e.type) {
      case "run-resumed":
      case "run-queued":
      case "run-admitted":
        break;
      case "step-started": {
        const wait = waits.get(e.stepId);
        events.push({
          type: "step-started",
          runId,
          stepId: e.stepId,
          time: e.time,
          attempt: e.attempt,
          ...(wait ? { wait } : {}),
        });
        break;
      }
      case "step-succeeded":
        events.push(...logs(runId, e.stepId, e.attempt, e.time, e.stdout, e.stderr));
        events.push({
          type: "step-succeeded",
          runId,
          stepId: e.stepId,
          time: e.time,
          attempt: e.attempt,
          durationMs: since(e.stepId, e.startedAt, e.finishedAt),
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
          durationMs: since(e.stepId, e.startedAt, e.finishedAt),
        });
        break;
      case "step-retrying":
        since(e.stepId, e.startedAt, e.finishedAt);
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
