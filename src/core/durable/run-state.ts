/**
 * A run's state as a fold over its journal: what each step did, as far as the journal
 * knows. Resuming seeds the scheduler from it; `sandflow show` reports it.
 */
import type { SerializedError } from "../errors.js";
import type { FileChanges } from "../file-tree.js";
import type { StepState } from "../step-state.js";
import type { JournalEntry } from "./journal.js";

/** Where a step is according to its journal. */
export type RecordedStatus =
  | "pending"
  | "running"
  | "retrying"
  | "succeeded"
  | "failed"
  | "skipped"
  | "cancelled";

/** One step's recorded state. */
export interface RecordedStep {
  status: RecordedStatus;
  attempts: number;
  outputJson: string | undefined;
  stdout: string;
  stderr: string;
  error: SerializedError | null;
  startedAt: number | null;
  finishedAt: number | null;
  files: FileChanges | undefined;
  /** When a step waiting to retry may start its next attempt. */
  wakeAt: number | undefined;
  cached: boolean;
  reusedFrom: string | undefined;
}

/** A step the journal says nothing of. */
export function unrecordedStep(): RecordedStep {
  return {
    status: "pending",
    attempts: 0,
    outputJson: undefined,
    stdout: "",
    stderr: "",
    error: null,
    startedAt: null,
    finishedAt: null,
    files: undefined,
    wakeAt: undefined,
    cached: false,
    reusedFrom: undefined,
  };
}

/** The recorded state of every step named in `entries`, keyed by step id. */
export function foldSteps(entries: readonly JournalEntry[]): Map<string, RecordedStep> {
  const steps = new Map<string, RecordedStep>();
  const at = (id: string): RecordedStep => {
    let s = steps.get(id);
    if (!s) {
      s = unrecordedStep();
      steps.set(id, s);
    }
    return s;
  };
  const inFlight = new Map<string, number>();
  for (const e of entries) {
    if (!("stepId" in e)) continue; // the run's own entries (resumed, queued, finished, ...)
    const s = at(e.stepId);
    switch (e.type) {
      case "step-started":
        s.status = "running";
        s.attempts = e.attempt;
        // A step's report time is its worker's, which an attempt's end brings; until one
        // ends, when it was dispatched is the best there is.
        if (s.startedAt === null) inFlight.set(e.stepId, e.time);
        break;
      case "step-succeeded":
      case "step-failed":
      case "step-retrying":
        s.status =
          e.type === "step-succeeded" ? "succeeded" : e.type === "step-failed" ? "failed" : "retrying";
        s.attempts = e.attempt;
        s.stdout = e.stdout;
        s.stderr = e.stderr;
        s.startedAt ??= e.startedAt;
        inFlight.delete(e.stepId);
        s.finishedAt = e.finishedAt;
        if (e.type === "step-succeeded") {
          s.outputJson = e.outputJson;
          s.files = e.files;
          s.error = null;
          s.cached = e.cached === true;
          s.reusedFrom = e.reusedFrom;
        } else s.error = e.error;
        s.wakeAt = e.type === "step-retrying" ? e.wakeAt : undefined;
        break;
      case "step-skipped":
      case "step-cancelled":
        s.status = e.type === "step-skipped" ? "skipped" : "cancelled";
        s.error = e.error;
        break;
    }
  }
  for (const [id, time] of inFlight) (steps.get(id) as RecordedStep).startedAt ??= time;
  return steps;
}

/** Copies what a step's journal says it did into its scheduler state (not its phase). */
export function applyRecorded(s: StepState, r: RecordedStep): void {
  s.attempts = r.attempts;
  s.outputJson = r.outputJson;
  s.stdout = r.stdout;
  s.stderr = r.stderr;
  s.error = r.error;
  s.startedAt = r.startedAt;
  s.finishedAt = r.finishedAt;
  s.cached = r.cached;
  s.reusedFrom = r.reusedFrom;
}
