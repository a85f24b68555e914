/** Events of a run, the same in Node and in the browser. Times are epoch milliseconds. */
import type { SerializedError } from "./errors.js";
import type { RunReport, RunStatus } from "./report.js";
import type { WaitSpec } from "./workflow.js";

interface StepEventBase {
  readonly runId: string;
  readonly stepId: string;
  readonly time: number;
}

/** Everything a run tells while it goes. */
export type RunEvent =
  | {
      readonly type: "run-started";
      readonly runId: string;
      readonly workflow: string;
      readonly steps: readonly string[];
      readonly time: number;
      /**
       * Steps the run starts with already ended, as an earlier run left them: the steps a
       * rerun keeps, the steps a resumed run had finished. Absent when there are none.
       */
      readonly settled?: Readonly<Record<string, "succeeded" | "failed" | "skipped">>;
    }
  /**
   * The run waits for a place among the runs of its `concurrency_key` (`max_runs` of them
   * hold one, in this process or in others on the same store); it starts when one ends.
   * Comes before `run-started`.
   */
  | {
      readonly type: "run-queued";
      readonly runId: string;
      readonly time: number;
      readonly key: string;
      readonly maxRuns: number;
    }
  /** A worker has started an attempt (`time` is when; a queued attempt is not started yet). */
  | (StepEventBase & {
      readonly type: "step-started";
      readonly attempt: number;
      /** What the step waits for, when it is a waiting step (sleep, wait_for, approval). */
      readonly wait?: WaitSpec;
    })
  | (StepEventBase & {
      readonly type: "log";
      readonly attempt: number;
      readonly stream: "stdout" | "stderr";
      readonly text: string;
    })
  | (StepEventBase & {
      readonly type: "step-retrying";
      readonly attempt: number;
      readonly error: SerializedError;
      readonly delayMs: number;
    })
  | (StepEventBase & {
      readonly type: "step-succeeded";
      readonly attempt: number;
      /** From the start of the first attempt to the end of this one (the report's `durationMs`). */
      readonly durationMs: number;
    })
  | (StepEventBase & {
      readonly type: "step-failed";
      readonly attempt: number;
      readonly error: SerializedError;
      /** From the start of the first attempt to the end of the last (the report's `durationMs`). */
      readonly durationMs: number;
    })
  /** A failed run's compensation of a step that succeeded (its `compensate` code) has started. */
  | (StepEventBase & { readonly type: "compensation-started" })
  /** The compensation of a step ended; `error` says why when it did not succeed. */
  | (StepEventBase & {
      readonly type: "compensation-finished";
      readonly status: "succeeded" | "failed" | "cancelled";
      readonly error?: SerializedError;
      readonly durationMs: number;
    })
  | (StepEventBase & { readonly type: "step-skipped"; readonly reason: string })
  | (StepEventBase & { readonly type: "step-cancelled"; readonly reason: string })
  | {
      readonly type: "run-finished";
      readonly runId: string;
      readonly status: RunStatus;
      readonly time: number;
      readonly report: RunReport;
    };

/** The `type` of a {@link RunEvent}. */
export type RunEventType = RunEvent["type"];
