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

type Send = (request: EvaluateWorkflowRequest) => SentRequest;

/** Starts one evaluator thread; `onEnd` is called once it stops or is killed. */
function evaluatorThread(options: WorkerLuaEvaluatorOptions, onEnd: () => void): Send {
  const worker = new Worker(workerEntry("node-evaluator-worker"), {
    workerData: { instructionBudget: options.instructionBudget, memoryBudget: options.memoryBudget },
    resourceLimits: { maxOldGenerationSizeMb: 256 },
    env: {},
  });
  worker.unref();
  const waiting = new Map<number, Waiter>();
  let nextId = 1;
  // Listened to only while a file is waiting: a message listener keeps the process alive.
  const onMessage = (message: FromEvaluator) => {
    waiting.get(message.id)?.resolve(message.response);
    waiting.delete(message.id);
    if (waiting.size === 0) worker.off("message", onMessage);
  };
  // An uncaught error is followed by "exit", which answers the waiting files.
  worker.on("error", () => {});
  worker.once("exit", () => {
    onEnd();
    for (const waiter of waiting.values()) waiter.reject(new Error("its thread stopped (out of memory?)"));
    waiting.clear();
  });
  return (request) => {
    if (waiting.size === 0) worker.on("message", onMessage);
    const id = nextId++;
    const response = new Promise<WorkerResponse>((resolve, reject) => waiting.set(id, { resolve, reject }));
    worker.postMessage({ id, request } satisfies ToEvaluator);
    return {
      response,
      kill: () => {
        onEnd();
        void worker.terminate();
      },
    };
  };
}

/** Creates an evaluator backed by one reusable worker thread (started on first use). */
export function createWorkerLuaEvaluator(options: WorkerLuaEvaluatorOptions = {}): LuaWorkflowEvaluator {
  let thread: Send | undefined;
  const send: Send = (request) => {
    if (!thread) {
      const started = evaluatorThread(options, () => {
        if (thread === started) thread = undefined;
      });
      thread = started;
    }
    return thread(request);
  };
  return workerLuaEvaluator(send, options.timeoutMs ?? 5000);
}
