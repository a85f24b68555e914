/**
 * The run journal: every state transition of a run, in order. A run's state is a fold over
 * its entries ({@link foldRun}), so resuming a run is replaying its journal, then deciding.
 */
import type { SerializedError } from "../errors.js";
import type { FileChanges } from "../file-tree.js";
import type { WorkflowDefinition } from "../workflow.js";

interface StepEntryBase {
  readonly stepId: string;
  /** Epoch milliseconds when the transition was recorded. */
  readonly time: number;
}

/** What an attempt that ended left behind. */
interface AttemptEnd {
  readonly attempt: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly startedAt: number;
  readonly finishedAt: number;
}

/** One recorded transition of a run. */
export type JournalEntry =
  | { readonly type: "run-resumed"; readonly time: number; readonly owner: string }
  /** The run waits for a place among the runs with its `concurrency_key` (`max_runs`). */
  | { readonly type: "run-queued"; readonly time: number; readonly key: string }
  /** A queued run got its place and starts. */
  | { readonly type: "run-admitted"; readonly time: number }
  | (StepEntryBase & { readonly type: "step-started"; readonly attempt: number })
  | (StepEntryBase &
      AttemptEnd & {
        readonly type: "step-succeeded";
        readonly outputJson: string;
        /** The files the step left (created, changed, removed) under /tmp and /workspace. */
        readonly files: FileChanges;
        /** The result came from the step cache; the step's code did not run. */
        readonly cached?: boolean;
        /** The result was recorded by this earlier run (a rerun keeps it). */
        readonly reusedFrom?: string;
      })
  | (StepEntryBase & AttemptEnd & { readonly type: "step-failed"; readonly error: SerializedError })
  | (StepEntryBase &
      AttemptEnd & {
        readonly type: "step-retrying";
        readonly error: SerializedError;
        /** Epoch milliseconds when the next attempt may start. */
        readonly wakeAt: number;
      })
  | (StepEntryBase & {
      readonly type: "step-skipped";
      readonly reason: string;
      readonly error: SerializedError;
    })
  | (StepEntryBase & {
      readonly type: "step-cancelled";
      readonly reason: string;
      readonly error: SerializedError;
    })
  | {
      readonly type: "run-finished";
      readonly time: number;
      readonly status: "succeeded" | "failed" | "cancelled";
    };

/** A run as the store holds it, besides its journal. */
export interface RunRecord {
  readonly runId: string;
  /** The validated workflow, with the code of `file` steps read in: a resumed run needs no files. */
  readonly workflow: WorkflowDefinition;
  readonly params: Readonly<Record<string, unknown>>;
  /** Epoch milliseconds when the run was created. */
  readonly createdAt: number;
  /** The run this one reruns. */
  readonly rerunOf?: string;
  /** The run whose sub-workflow step started this one. */
  readonly parentRun?: string;
}

/** Status of a run in the store: a finished run's, or `running`, or `interrupted` when its owner died. */
export type StoredRunStatus = "running" | "interrupted" | "succeeded" | "failed" | "cancelled";

/** One line of `sandflow runs`. */
export interface RunSummary {
  readonly runId: string;
  readonly workflow: string;
  /**
   * As stored; `waiting` (from {@link Engine.runs} and `sandflow runs`, never from a store)
   * for a running run whose running steps all wait (sleep, a signal, an approval); `queued`
   * (likewise) for a running run that waits for a place among the runs with its
   * `concurrency_key` (`max_runs`).
   */
  readonly status: StoredRunStatus | "waiting" | "queued";
  readonly startedAt: number;
  readonly finishedAt: number | null;
}
