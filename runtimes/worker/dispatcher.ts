/**
 * The worker side of the protocol, platform-free: loads interpreters, runs batches of
 * steps one after another, keeps the control block up to date for the host's watchdog,
 * bounds output and results, and reports results (early, in partial flushes, for long
 * batches) and live output through `post`.
 */
import { StepCancelledError } from "../../src/core/errors.js";
import { diffTrees, type FileChanges, isEmptyChange } from "../../src/core/file-tree.js";
import type { Language } from "../../src/core/languages.js";
import type { LuaWorkflowEvaluator } from "../../src/core/loaders/parse-source.js";
import {
  CONTROL,
  clearInterrupt,
  INTERRUPT_REASON,
  requestInterrupt,
} from "../../src/protocol/control-block.js";
import type {
  TaskResult,
  WireStepTask,
  WorkerBroadcast,
  WorkerEvent,
  WorkerRequest,
  WorkerResponse,
} from "../../src/protocol/messages.js";
import { evaluateWorkflowRequest } from "../lua/workflow-evaluator.js";
import { type FactoryMaker, InterpreterSlots } from "./interpreter-slots.js";
import type { LanguageRuntime, StepFailure, StepInvocation, StepOutcome } from "./language-runtime.js";
import { netClient } from "./net-client.js";
import { StepOutput } from "./step-output.js";
import { verdict } from "./step-verdict.js";

/** How often (ms) live output and finished results of a running batch are sent early. */
const FLUSH_MS = 40;

/** What the platform's worker entry gives the dispatcher. */
export interface DispatcherOptions {
  readonly factories: Readonly<Record<Language, FactoryMaker>>;
  /** Sends an event to the host while a batch runs. */
  readonly post: (event: WorkerEvent) => void;
  /** Epoch milliseconds. */
  readonly now: () => number;
  /** Interpreters whose wasm memory exceeds this after a step are replaced. Default: 256 MiB. */
  readonly recycleBytes?: number;
  /** Called before every step (to reset what a step may have changed in the realm). Default: nothing. */
  readonly beforeStep?: () => void;
  /** Evaluates Lua workflow files sent to this worker. Default: such requests fail. */
  readonly luaEvaluator?: LuaWorkflowEvaluator;
  /**
   * The worker's whole memory now (JavaScript heap, array buffers, wasm memories), in
   * bytes, measured as the host measures it; written to the control block before each
   * step so the host's watchdog bounds the step's growth. Default: not measured (0).
   */
  readonly memoryBytes?: () => number;
}

// Shared empty values: a batch's structured clone sends a shared object once.
const NO_CHANGES: FileChanges = Object.freeze({
  upserts: Object.freeze({}),
  deletes: Object.freeze([]) as unknown as string[],
});
const NO_LOGS: TaskResult["logTail"] = Object.freeze([]) as unknown as TaskResult["logTail"];

/** How far past the output limit a runtime may print before it stops itself. */
const OUTPUT_SLACK = 64 * 1024;

function noChangeIfEmpty(changes: FileChanges): FileChanges {
  return isEmptyChange(changes) ? NO_CHANGES : changes;
}

function failure(name: string, message: string): StepFailure {
  return { name, message };
}

/** Handles the requests of one worker. */
export class Dispatcher {
  readonly #slots: InterpreterSlots;
  readonly #post: DispatcherOptions["post"];
  readonly #now: () => number;
  #tail: Promise<unknown> = Promise.resolve();
  readonly #luaEvaluator: LuaWorkflowEvaluator | undefined;
  readonly #beforeStep: () => void;
  readonly #memoryBytes: () => number;
  /** The last measure of the worker's memory and when it was taken (steps of a batch share one). */
  #memory = { bytes: 0, at: Number.NEGATIVE_INFINITY };

  constructor(options: DispatcherOptions) {
    this.#slots = new InterpreterSlots(options.factories, options.recycleBytes ?? 256 * 1048576);
    this.#post = options.post;
    this.#luaEvaluator = options.luaEvaluator;
    this.#beforeStep = options.beforeStep ?? (() => {});
    this.#now = options.now;
    this.#memoryBytes = options.memoryBytes ?? (() => 0);
  }

  /** Runs one request to its response, after the requests before it. Never throws for step failures. */
  handle(request: WorkerRequest): Promise<WorkerResponse> {
    const next = this.#tail.then(() => this.#handle(request));
    this.#tail = next.catch(() => undefined);
    return next;
  }

  async #handle(request: WorkerRequest): Promise<WorkerResponse> {
    if (request.type === "evaluate-workflow") {
      if (!this.#luaEvaluator) throw new Error("this worker does not evaluate workflow files");
      return evaluateWorkflowRequest(this.#luaEvaluator, request);
    }
    if (request.type === "prepare") {
      const t0 = this.#now();
      for (const language of request.languages) await this.#slots.prepare(language, request.memoryBytes);
      return { type: "prepared", languages: request.languages, loadMs: this.#now() - t0 };
    }
    const cells = new Int32Array(request.control);
    const times = new Float64Array(request.control, 0, CONTROL.F64_LENGTH);
    const results: TaskResult[] = [];
    let flushed = 0;
    let lastFlush = this.#now();
    for (let index = 0; index < request.tasks.length; index++) {
      const task = request.tasks[index] as WireStepTask;
      const result = await this.#runTask(task, index, request.batchId, cells, times);
      results.push(result);
      Atomics.store(cells, CONTROL.CURRENT, -1);
      const now = result.finishedAt;
      if (now - lastFlush >= FLUSH_MS && index < request.tasks.length - 1) {
        // Early copies, so a long batch reports as it goes; the response repeats every result.
        this.#post({ type: "partial", batchId: request.batchId, results: results.slice(flushed) });
        flushed = results.length;
        lastFlush = now;
      }
    }
    Atomics.store(cells, CONTROL.CURRENT, -1);
    return { type: "batch-done", batchId: request.batchId, results };
  }

  async #runTask(
    task: WireStepTask,
    index: number,
    batchId: number,
    cells: Int32Array,
    times: Float64Array,
  ): Promise<TaskResult> {
    this.#beforeStep();
    let startedAt = this.#now();
    const output = new StepOutput(task.limits.outputBytes);
    const finish = (outcome: StepOutcome): TaskResult => {
      const finishedAt = this.#now();
      const reason = Atomics.load(cells, CONTROL.TARGET) === index ? Atomics.load(cells, CONTROL.REASON) : 0;
      clearInterrupt(cells);
      const files = outcome.files ?? task.files;
      const result = verdict(outcome, task, reason, output.overflow, files);
      return {
        index,
        outcome: result,
        changes:
          result.ok && files !== task.files ? noChangeIfEmpty(diffTrees(task.files, files)) : NO_CHANGES,
        stdout: output.text("stdout"),
        stderr: output.text("stderr"),
        logEvents,
        logTail: output.hasPending ? output.takePending() : NO_LOGS,
        startedAt,
        finishedAt,
      };
    };
    if (Atomics.load(cells, CONTROL.CANCEL_BASE + index) !== 0) {
      return finish({
        ok: false,
        error: failure(StepCancelledError.name, "the run was cancelled before the step started"),
      });
    }
    let lastLog = startedAt;
    let logEvents = 0;
    const interrupted = () =>
      Atomics.load(cells, CONTROL.REASON) !== 0 && Atomics.load(cells, CONTROL.TARGET) === index;
    const limits = task.limits;
    const invocation: StepInvocation = {
      runId: task.runId,
      stepId: task.stepId,
      attempt: task.attempt,
      code: task.code,
      codeHash: task.codeHash,
      inputsJson: task.inputsJson,
      contextJson: task.contextJson,
      env: task.env,
      files: task.files,
      // The runtime may print a little past the limit: the dispatcher's own count cuts at
      // exactly the limit, marks the cut and interrupts the step.
      limits: {
        memoryBytes: limits.memoryBytes,
        outputBytes: limits.outputBytes + OUTPUT_SLACK,
        resultBytes: limits.resultBytes,
        processes: limits.processes,
        workspaceBytes: limits.workspaceBytes,
      },
      interruptBuffer: cells.subarray(CONTROL.FLAG, CONTROL.FLAG + 1),
      interrupted,
      net: netClient(task, this.#post, batchId, index, interrupted),
      emit: (stream, text) => {
        if (!output.add(stream, text)) requestInterrupt(cells, index, INTERRUPT_REASON.OUTPUT);
        const now = this.#now();
        if (now - lastLog >= FLUSH_MS && output.hasPending) {
          lastLog = now;
          for (const chunk of output.takePending()) {
            logEvents++;
            this.#post({ type: "log", batchId, index, ...chunk });
          }
        }
      },
    };
    let broken = false;
    try {
      // The host bounds how long an interpreter may take to load (a load that never ends
      // would otherwise hold the step forever: its timeout starts after the load).
      Atomics.store(cells, CONTROL.LOADING, index);
      let runtime: LanguageRuntime;
      try {
        runtime = await this.#slots.acquire(task.language, task.runId, task.limits.memoryBytes);
      } finally {
        Atomics.store(cells, CONTROL.LOADING, -1);
      }
      // The step starts now, not while its interpreter loaded: that time is not its own, and
      // must not count against its timeout. The start time first: the watchdog reads
      // CURRENT, then the start of that step.
      startedAt = this.#now();
      times[CONTROL.START_F64] = Date.now();
      times[CONTROL.BASE_MEMORY_F64] = this.#baseMemory(startedAt);
      Atomics.store(cells, CONTROL.CURRENT, index);
      return finish(await runtime.run(invocation));
    } catch (e) {
      broken = true;
      const message = e instanceof Error ? e.message : String(e);
      return finish({
        ok: false,
        error: failure("StepRuntimeError", `the ${task.language} interpreter failed: ${message}`),
      });
    } finally {
      this.#slots.release(task.language, broken);
    }
  }

  /**
   * The worker's memory before a step, measured again only when the last measure is more
   * than 10 ms old (a measure costs microseconds; fast steps come in batches). An older
   * base can only count more growth against a step (what steps since then kept), and
   * misses at most what the worker freed in those 10 ms.
   */
  #baseMemory(now: number): number {
    if (now - this.#memory.at > 10) this.#memory = { bytes: this.#memoryBytes(), at: now };
    return this.#memory.bytes;
  }

  /**
   * Handles a message sent to every worker: an ended run's interpreters are replaced, in
   * turn with the requests, because loading an interpreter puts host globals back for a
   * moment (withHostGlobals) and no step may run then.
   */
  onBroadcast(message: WorkerBroadcast): void {
    if (message.type !== "run-ended") return;
    const next = this.#tail.then(() => this.#slots.endRun(message.runId));
    this.#tail = next.catch(() => undefined);
  }

  /** Frees every interpreter. */
  dispose(): void {
    this.#slots.dispose();
  }
}
