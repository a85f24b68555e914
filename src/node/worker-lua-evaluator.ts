/**
 * The Node evaluator of Lua workflow files: {@link workerLuaEvaluator} over a worker thread
 * of its own (runtimes/worker/node-evaluator-worker.ts), started on first use and replaced
 * when a file is stopped, so the host's main thread never runs workflow-file code.
 */
import { Worker } from "node:worker_threads";
import type { LuaWorkflowEvaluator } from "../core/loaders/parse-source.js";
import { workerLuaEvaluator } from "../pool/lua-file-evaluator.js";
import type { SentRequest } from "../pool/transport.js";
import type { EvaluateWorkflowRequest, FromEvaluator, ToEvaluator } from "../protocol/lua-evaluator.js";
import type { WorkerResponse } from "../protocol/messages.js";
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

interface Waiter {
  readonly resolve: (response: WorkerResponse) => void;
  readonly reject: (error: Error) => void;
}

/** Creates an evaluator backed by one reusable worker thread (started on first use). */
export function createWorkerLuaEvaluator(options: WorkerLuaEvaluatorOptions = {}): LuaWorkflowEvaluator {
  let worker: Worker | undefined;
  let nextId = 1;
  const start = (waiting: Map<number, Waiter>): Worker => {
    const w = new Worker(workerEntry("node-evaluator-worker"), {
      workerData: { instructionBudget: options.instructionBudget, memoryBudget: options.memoryBudget },
      resourceLimits: { maxOldGenerationSizeMb: 256 },
      env: {},
    });
    w.unref();
    w.on("message", (message: FromEvaluator) => {
      waiting.get(message.id)?.resolve(message.response);
      waiting.delete(message.id);
    });
    // An uncaught error is followed by "exit", which answers the waiting files.
    w.on("error", () => {});
    w.once("exit", () => {
      if (worker === w) worker = undefined;
      for (const waiter of waiting.values()) waiter.reject(new Error("its thread stopped (out of memory?)"));
      waiting.clear();
    });
    return w;
  };
  let waiting = new Map<number, Waiter>();
  const send = (request: EvaluateWorkflowRequest): SentRequest => {
    if (!worker) {
      waiting = new Map();
      worker = start(waiting);
    }
    const w = worker;
    const id = nextId++;
    const response = new Promise<WorkerResponse>((resolve, reject) => waiting.set(id, { resolve, reject }));
    w.postMessage({ id, request } satisfies ToEvaluator);
    return {
      response,
      kill: () => {
        if (worker === w) worker = undefined;
        void w.terminate();
      },
    };
  };
  return workerLuaEvaluator(send, options.timeoutMs ?? 5000);
}
