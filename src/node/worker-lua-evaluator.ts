/**
 * The Node evaluator of Lua workflow files: a worker thread with a wall-clock limit on
 * top of the Lua state's instruction and memory budgets. A file that runs too long (C-level
 * work the instruction hook cannot see) gets a WorkflowLoadError and the thread is
 * replaced; the host's main thread never runs workflow-file code.
 */
import { Worker } from "node:worker_threads";
import type { EvaluateRequest, EvaluateResponse } from "../../runtimes/worker/node-evaluator-worker.js";
import { WorkflowLoadError } from "../core/errors.js";
import type { LuaWorkflowEvaluator } from "../core/loaders/parse-source.js";
import { err, ok } from "../core/result.js";
import { workerEntry } from "./package-paths.js";

/** Limits of {@link createWorkerLuaEvaluator}; every field optional. */
export interface WorkerLuaEvaluatorOptions {
  /** Milliseconds a workflow file may take to evaluate. Default: 5000. */
  readonly timeoutMs?: number;
  /** Lua VM instructions a workflow file may run. Default: 50 million. */
  readonly instructionBudget?: number;
  /** Bytes a workflow file may allocate. Default: 64 MiB. */
  readonly memoryBudget?: number;
}

/** Creates an evaluator backed by one reusable worker thread (started on first use). */
export function createWorkerLuaEvaluator(options: WorkerLuaEvaluatorOptions = {}): LuaWorkflowEvaluator {
  const timeoutMs = options.timeoutMs ?? 5000;
  if (!(timeoutMs > 0)) throw new TypeError(`options.timeoutMs must be a positive number, got ${timeoutMs}`);
  let worker: Worker | undefined;
  let nextId = 1;
  const start = (): Worker => {
    const w = new Worker(workerEntry("node-evaluator-worker"), {
      workerData: { instructionBudget: options.instructionBudget, memoryBudget: options.memoryBudget },
      resourceLimits: { maxOldGenerationSizeMb: 256 },
      env: {},
    });
    w.unref();
    w.once("exit", () => {
      if (worker === w) worker = undefined;
    });
    return w;
  };
  // One file at a time: a file stopped at the time limit takes down only its own evaluation.
  let queue: Promise<unknown> = Promise.resolve();
  const evaluateOne = (source: string, label: string): ReturnType<LuaWorkflowEvaluator["evaluate"]> => {
    worker ??= start();
    const w = worker;
    const id = nextId++;
    return new Promise((resolve) => {
      const done = (result: Parameters<typeof resolve>[0]) => {
        clearTimeout(timer);
        w.off("message", onMessage);
        w.off("exit", onExit);
        resolve(result);
      };
      const onMessage = (response: EvaluateResponse) => {
        if (response.id !== id) return;
        done(response.ok ? ok(response.value) : err(new WorkflowLoadError(response.error.message)));
      };
      const onExit = () =>
        done(
          err(
            new WorkflowLoadError(`${label}: the Lua workflow file stopped its evaluator (out of memory?)`),
          ),
        );
      const timer = setTimeout(() => {
        if (worker === w) worker = undefined;
        void w.terminate();
        done(
          err(
            new WorkflowLoadError(
              `${label}: the Lua workflow file ran longer than ${timeoutMs / 1000} s and was stopped`,
            ),
          ),
        );
      }, timeoutMs);
      w.on("message", onMessage);
      w.once("exit", onExit);
      w.postMessage({ id, source, label } satisfies EvaluateRequest);
    });
  };
  return {
    evaluate(source, label) {
      const result = queue.then(() => evaluateOne(source, label));
      queue = result.catch(() => undefined);
      return result;
    },
  };
}
