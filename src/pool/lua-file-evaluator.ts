/**
 * The evaluator of Lua workflow files, on both platforms: each file goes to a worker (a
 * pool worker in the browser, a thread of its own in Node) under a wall-clock limit. A
 * workflow file is code, and some of what it can do (pattern-matching bombs, huge string
 * operations) runs in C where the Lua state's instruction budget does not see it: on
 * timeout the worker is killed (and replaced). Files never run on the page or the host's
 * main thread.
 */
import { WorkflowLoadError } from "../core/errors.js";
import type { LuaWorkflowEvaluator } from "../core/loaders/parse-source.js";
import { err, ok } from "../core/result.js";
import type { EvaluateWorkflowRequest } from "../protocol/lua-evaluator.js";
import type { SentRequest } from "./transport.js";

/**
 * An evaluator that sends each file with `send` (one at a time, so a file's time limit
 * is never spent waiting behind another file).
 * @throws TypeError when `timeoutMs` is not a positive number.
 */
export function workerLuaEvaluator(
  send: (request: EvaluateWorkflowRequest) => SentRequest,
  timeoutMs = 5000,
): LuaWorkflowEvaluator {
  if (!(timeoutMs > 0)) throw new TypeError(`options.timeoutMs must be a positive number, got ${timeoutMs}`);
  const evaluateOne: LuaWorkflowEvaluator["evaluate"] = async (source, label) => {
    const sent = send({ type: "evaluate-workflow", source, label });
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), timeoutMs);
    });
    try {
      const response = await Promise.race([sent.response, timeout]);
      if (response === "timeout") {
        sent.kill();
        return err(
          new WorkflowLoadError(
            `${label}: the Lua workflow file ran longer than ${timeoutMs / 1000} s and was stopped`,
          ),
        );
      }
      if (response.type !== "evaluated")
        return err(new WorkflowLoadError(`${label}: the worker gave no evaluation`));
      return response.result.ok
        ? ok(response.result.value)
        : err(new WorkflowLoadError(response.result.error.message));
    } catch (e) {
      return err(
        new WorkflowLoadError(`${label}: the Lua workflow file stopped its worker: ${(e as Error).message}`),
      );
    } finally {
      clearTimeout(timer);
    }
  };
  let queue: Promise<unknown> = Promise.resolve();
  return {
    evaluate(source, label) {
      const result = queue.then(() => evaluateOne(source, label));
      queue = result.catch(() => undefined);
      return result;
    },
  };
}
