/**
 * Worker thread that evaluates Lua workflow files for the host (started by path by
 * src/node/worker-lua-evaluator.ts). A workflow file is code: here it runs off the host's
 * main thread, so C-level work no instruction budget sees (a pattern-matching bomb, huge
 * string.rep calls) can be stopped by terminating this thread.
 */
import { parentPort, workerData } from "node:worker_threads";
import { LuaFactory } from "wasmoon";
import { serializeError } from "../../src/core/errors.js";
import { createLuaWorkflowEvaluator, type LuaWorkflowEvaluatorOptions } from "../lua/workflow-evaluator.js";

/** A request from the host. */
export interface EvaluateRequest {
  readonly id: number;
  readonly source: string;
  readonly label: string;
}

/** The answer: the workflow table as data, or a load error. */
export type EvaluateResponse =
  | { readonly id: number; readonly ok: true; readonly value: unknown }
  | { readonly id: number; readonly ok: false; readonly error: { name: string; message: string } };

const evaluator = createLuaWorkflowEvaluator(
  () => new LuaFactory(),
  workerData as LuaWorkflowEvaluatorOptions,
);

parentPort?.on("message", (request: EvaluateRequest) => {
  evaluator.evaluate(request.source, request.label).then(
    (result) => {
      const response: EvaluateResponse = result.ok
        ? { id: request.id, ok: true, value: result.value }
        : { id: request.id, ok: false, error: { name: result.error.name, message: result.error.message } };
      parentPort?.postMessage(response);
    },
    (e: unknown) => {
      const { name, message } = serializeError(e);
      parentPort?.postMessage({
        id: request.id,
        ok: false,
        error: { name, message },
      } satisfies EvaluateResponse);
    },
  );
});
