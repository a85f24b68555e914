/**
 * The messages between the engine's process and the isolated pool process (over Node's
 * IPC channel with structured-clone serialisation). Attempts are batched per tick both ways.
 */

import type { Language } from "../core/languages.js";
import type { StepTask, StepTaskResult } from "../core/step-pool.js";
import type { NodeWorkerData } from "./worker-data.js";

/** Settings the pool process needs to build its pool. */
export interface PoolServerConfig {
  readonly threads: number;
  readonly workerData: NodeWorkerData;
  readonly pool: Record<string, unknown>;
}

/** Engine process to pool process. */
export type ToPoolServer =
  | {
      readonly type: "run";
      /** `start`: tell when a worker starts the attempt (only when the engine has a listener). */
      readonly items: readonly { readonly id: number; readonly task: StepTask; readonly start?: true }[];
    }
  | { readonly type: "cancel"; readonly ids: readonly number[] }
  | { readonly type: "prepare"; readonly id: number; readonly languages: readonly Language[] }
  | { readonly type: "end-run"; readonly runId: string }
  | { readonly type: "close" };

/** Pool process to engine process. */
export type FromPoolServer =
  | { readonly type: "ready" }
  | {
      readonly type: "results";
      /** Attempts a worker started, with when; before the logs and results of the same message. */
      readonly starts: readonly { readonly id: number; readonly at: number }[];
      readonly logs: readonly {
        readonly id: number;
        readonly stream: "stdout" | "stderr";
        readonly text: string;
      }[];
      readonly results: readonly { readonly id: number; readonly result: StepTaskResult }[];
    }
  | { readonly type: "prepared"; readonly id: number; readonly error?: string }
  /** A worker could not load the cached Pyodide snapshot (it looked whole): drop it. */
  | { readonly type: "snapshot-failed"; readonly message: string };
