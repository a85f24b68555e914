/**
 * Evaluates Lua workflow files in a pool worker, with a wall-clock limit: a workflow file
 * is code, and some of what it can do (pattern-matching bombs, huge string operations)
 * runs in C where no instruction budget sees it. On timeout the worker is killed (the
 * transport replaces it). Used by the browser engine, so files never run on the page.
 */
import { WorkflowLoadError } from "../core/errors.js";
import type { LuaWorkflowEvaluator } from "../core/loaders/parse-source.js";
import { err, ok } from "../core/result.js";
import type { WorkerTransport } from "./transport.js";

/** An evaluator that sends each file to a worker of `transport`. */
export function transportLuaEvaluator(transport: WorkerTransport, timeoutMs = 5000): LuaWorkflowEvaluator {
  return {
    async evaluate(source, label) {
      const sent = transport.send({ type: "evaluate-workflow", source, label });
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
          new WorkflowLoadError(
            `${label}: the Lua workflow file stopped its worker: ${(e as Error).message}`,
          ),
        );
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
