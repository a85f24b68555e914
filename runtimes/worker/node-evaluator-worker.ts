/**
 * Worker thread that evaluates Lua workflow files for the Node host (started by path by
 * src/node/worker-lua-evaluator.ts). A workflow file is code: here it runs off the host's
 * main thread, so C-level work no instruction budget sees (a pattern-matching bomb, huge
 * string.rep calls) can be stopped by terminating this thread.
 */
import { parentPort, workerData } from "node:worker_threads";
import { LuaFactory } from "wasmoon";
import { serializeError } from "../../src/core/errors.js";
import type { FromEvaluator, ToEvaluator } from "../../src/protocol/lua-evaluator.js";
import {
  createLuaWorkflowEvaluator,
  evaluateWorkflowRequest,
  type LuaWorkflowEvaluatorOptions,
} from "../lua/workflow-evaluator.js";

const evaluator = createLuaWorkflowEvaluator(
  () => new LuaFactory(),
  workerData as LuaWorkflowEvaluatorOptions,
);

parentPort?.on("message", ({ id, request }: ToEvaluator) => {
  evaluateWorkflowRequest(evaluator, request).then(
    (response) => parentPort?.postMessage({ id, response } satisfies FromEvaluator),
    (e: unknown) => {
      const { name, message } = serializeError(e);
      parentPort?.postMessage({
        id,
        response: { type: "evaluated", result: { ok: false, error: { name, message } } },
      } satisfies FromEvaluator);
    },
  );
});
