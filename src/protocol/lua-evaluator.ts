/**
 * The envelope between the Node host and its Lua workflow-file evaluator thread
 * (runtimes/worker/node-evaluator-worker.ts): the pool's `evaluate-workflow` request and
 * `evaluated` response, with an id. Browser pools carry the same request and response in
 * their session envelope. No zod here: worker code imports this file.
 */
import type { WorkerRequest, WorkerResponse } from "./messages.js";

/** Evaluate a Lua workflow file. */
export type EvaluateWorkflowRequest = Extract<WorkerRequest, { type: "evaluate-workflow" }>;
/** The workflow table as data, or a load error. */
export type EvaluatedResponse = Extract<WorkerResponse, { type: "evaluated" }>;

/** Host to evaluator thread. */
export interface ToEvaluator {
  readonly id: number;
  readonly request: EvaluateWorkflowRequest;
}

/** Evaluator thread to host. */
export interface FromEvaluator {
  readonly id: number;
  readonly response: EvaluatedResponse;
}
