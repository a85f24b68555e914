/**
 * A {@link StepPool} over a {@link WorkerTransport}: queues step attempts, packs steps
 * known to be fast into batches (one message carries many steps), and runs a watchdog
 * that enforces timeouts and cancellation through each batch's control block: first a
 * soft interrupt the runtime notices, then, after a grace period, the worker is killed
 * (the transport replaces it) and the batch's other steps are queued again.
 */
import type { SerializedError } from "../core/errors.js";
import { Fifo } from "../core/fifo.js";
import type { Language } from "../core/languages.js";
import {
  failedAttempt,
  type StepPool,
  type StepRunOptions,
  type StepTask,
  type StepTaskResult,
} from "../core/step-pool.js";
import { isTaskResult } from "../protocol/check-results.js";
import { CONTROL, createControlBlock, INTERRUPT_REASON } from "../protocol/control-block.js";
import type { TaskResult, WorkerEvent, WorkerResponse } from "../protocol/messages.js";
import {
  type Batch,
  BatchWatchdog,
  interruptStep,
  lostStepResult,
  markStarted,
  type Pending,
} from "./batch-watchdog.js";
import { NetHandler } from "./net-handler.js";
import type { WorkerTransport } from "./transport.js";

/** Tuning of a {@link BatchingPool}; every field optional. */
export interface BatchingPoolOptions {
  /** Most steps per batch. Default: 64. */
  readonly maxBatch?: number;
  /** Steps whose source ran faster than this (ms, moving average) may share a batch. Default: 2. */
  readonly fastStepMs?: number;
  /** Milliseconds between a soft interrupt and killing the worker. Default: 250. */
  readonly graceMs?: number;
  /** Milliseconds between watchdog checks. Default: 20. */
  readonly watchdogMs?: number;
  /** Memory limit interpreters are prepared with. Default: 512 MiB. */
  readonly prepareMemoryBytes?: number;
  /**
   * Milliseconds a worker may take to make the interpreter for a step (Pyodide without a
   * snapshot takes a few seconds); past that the worker is replaced and the step fails.
   * Default: 120000.
   */
  readonly loadTimeoutMs?: number;
}

/** Steps on workers, batched, with timeouts enforced. */
export class BatchingPool implements StepPool {
  readonly threads: number;
  readonly #transport: WorkerTransport;
  readonly #maxBatch: number;
  readonly #fastMs: number;
  readonly #prepareMemory: number;
  readonly #loadLimitMs: number;
  readonly #queue = new Fifo<Pending>();
  readonly #batches = new Map<number, Batch>();
  readonly #durations = new Map<string, number>();
  #nextBatchId = 1;
  readonly #watchdog: BatchWatchdog;
  #closed = false;
  #dispatchScheduled = false;
  readonly #net = new NetHandler();

  constructor(transport: WorkerTransport, options: BatchingPoolOptions = {}) {
    this.#transport = transport;
    this.threads = transport.threads;
    this.#maxBatch = options.maxBatch ?? 64;
    this.#fastMs = options.fastStepMs ?? 2;
    this.#watchdog = new BatchWatchdog(() => this.#batches, options.graceMs ?? 250, options.watchdogMs ?? 20);
    this.#prepareMemory = options.prepareMemoryBytes ?? 512 * 1048576;
    this.#loadLimitMs = options.loadTimeoutMs ?? 120_000;
    if (!(this.#loadLimitMs > 0)) throw new TypeError("options.loadTimeoutMs must be a positive number");
    transport.onEvent((event) => this.#onEvent(event));
  }

  run(task: StepTask, options: StepRunOptions = {}): Promise<StepTaskResult> {
    if (this.#closed) return Promise.reject(new Error("the step pool is closed"));
    return new Promise((resolve) => {
      const pending: Pending = {
        task,
        resolve,
        onLog: options.onLog,
        onStart: options.onStart,
        started: false,
        signal: options.signal,
        onAbort: () => this.#cancel(pending),
        done: false,
        cancelled: false,
        batch: undefined,
        index: -1,
      };
      if (options.signal?.aborted) {
        pending.done = true;
        resolve(
          failedAttempt("StepCancelledError", "the run was cancelled before the step started", Date.now()),
        );
        return;
      }
      options.signal?.addEventListener("abort", pending.onAbort, { once: true });
      this.#queue.push(pending);
      this.#scheduleDispatch();
    });
  }

  async prepare(languages: ReadonlySet<Language>): Promise<void> {
    if (languages.size === 0) return;
    const request = { type: "prepare" as const, languages: [...languages], memoryBytes: this.#prepareMemory };
    const sends = Array.from({ length: this.threads }, () => this.#transport.send(request).response);
    try {
      await Promise.all(sends);
    } catch (e) {
      throw new Error(`a worker could not load ${[...languages].join(", ")}: ${(e as Error).message}`);
    }
  }

  endRun(runId: string): void {
    this.#transport.broadcast?.({ type: "run-ended", runId });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#watchdog.stop();
    const now = Date.now();
    for (const p of this.#queue.drain()) {
      this.#settle(
        p,
        failedAttempt("StepCancelledError", "the engine was closed before the step started", now),
      );
    }
    await this.#transport.close();
  }

  #scheduleDispatch(): void {
    if (this.#dispatchScheduled) return;
    this.#dispatchScheduled = true;
    queueMicrotask(() => {
      this.#dispatchScheduled = false;
      this.#dispatch();
    });
  }

  #isFast(p: Pending): boolean {
    const ms = this.#durations.get(p.task.codeHash);
    return ms !== undefined && ms < this.#fastMs;
  }

  #takeQueued(): Pending | undefined {
    for (let p = this.#queue.shift(); p; p = this.#queue.shift()) if (!p.done) return p;
    return undefined;
  }

  #dispatch(): void {
    while (!this.#closed && this.#batches.size < this.threads * 2) {
      const first = this.#takeQueued();
      if (!first) return;
      const items = [first];
      if (this.#isFast(first)) {
        const waiting = this.#queue.size;
        const limit = Math.min(this.#maxBatch, Math.max(1, Math.ceil((waiting + 1) / this.threads)));
        while (items.length < limit) {
          const next = this.#queue.peek();
          if (!next || (!next.done && !this.#isFast(next))) break;
          this.#queue.shift();
          if (!next.done) items.push(next);
        }
      }
      this.#send(items);
    }
  }

  #send(items: Pending[]): void {
    const control = createControlBlock(items.length);
    const batch: Batch = {
      id: this.#nextBatchId++,
      items,
      cells: new Int32Array(control),
      times: new Float64Array(control, 0, CONTROL.F64_LENGTH),
      sent: undefined,
      interrupt: undefined,
      killed: undefined,
      loadLimitMs: this.#loadLimitMs,
    };
    items.forEach((p, index) => {
      p.batch = batch;
      p.index = index;
    });
    this.#batches.set(batch.id, batch);
    this.#watchdog.start();
    const sent = this.#transport.send({
      type: "batch",
      batchId: batch.id,
      control,
      tasks: items.map((p) => p.task),
    });
    batch.sent = sent;
    sent.response.then(
      (response) => this.#onResponse(batch, response),
      (error: unknown) => this.#onLost(batch, error),
    );
  }

  #onResponse(batch: Batch, response: WorkerResponse): void {
    const r = response as { type?: unknown; batchId?: unknown; results?: unknown };
    const results =
      r.type === "batch-done" && r.batchId === batch.id && Array.isArray(r.results) ? r.results : undefined;
    if (!results?.every(isTaskResult)) {
      batch.sent?.kill();
      this.#onLost(batch, new Error("the worker sent a malformed response"));
      return;
    }
    for (const result of results) this.#settleResult(batch, result);
    if (batch.items.every((p) => p.done)) this.#batches.delete(batch.id);
    else this.#finishBatch(batch, new Error("the worker ended the batch without a result for the step"));
    this.#dispatch();
  }

  #onLost(batch: Batch, error: unknown): void {
    this.#finishBatch(batch, error);
  }

  #finishBatch(batch: Batch, error: unknown): void {
    if (!this.#batches.delete(batch.id)) return;
    const current = batch.killed?.index ?? Atomics.load(batch.cells, CONTROL.CURRENT);
    const now = Date.now();
    const requeue: Pending[] = [];
    batch.items.forEach((p, index) => {
      if (p.done) return;
      if (p.cancelled)
        this.#settle(
          p,
          failedAttempt("StepCancelledError", "the step was stopped because the run was cancelled", now),
        );
      else if (index === current) {
        const result = lostStepResult(batch, p, error, now);
        markStarted(p, result.startedAt);
        this.#settle(p, result);
      } else requeue.push(p);
    });
    if (requeue.length > 0) {
      for (const p of requeue) p.batch = undefined;
      this.#queue.unshift(requeue);
    }
    this.#dispatch();
  }

  #onEvent(raw: WorkerEvent): void {
    const event = raw as Partial<Record<string, unknown>> & WorkerEvent;
    if (typeof event !== "object" || event === null || typeof event.batchId !== "number") return;
    if (this.#net.handles(event)) {
      this.#net.handle(event, this.#batches.get(event.batchId));
      return;
    }
    if (
      event.type === "log" &&
      (typeof event.text !== "string" || (event.stream !== "stdout" && event.stream !== "stderr"))
    )
      return;
    if (event.type !== "log" && !(event.type === "partial" && Array.isArray(event.results))) return;
    const batch = this.#batches.get(event.batchId);
    if (!batch) return;
    if (event.type === "partial") {
      for (const r of event.results) if (isTaskResult(r)) this.#settleResult(batch, r);
    } else {
      const p = batch.items[event.index];
      if (!p || p.done) return;
      markStarted(p, (batch.times[CONTROL.START_F64] as number) || Date.now());
      p.onLog?.(event.stream, event.text);
    }
  }

  #settleResult(batch: Batch, r: TaskResult): void {
    const p = batch.items[r.index];
    if (!p || p.done) return;
    markStarted(p, r.startedAt);
    for (const chunk of r.logTail) p.onLog?.(chunk.stream, chunk.text);
    const ms = r.finishedAt - r.startedAt;
    const old = this.#durations.get(p.task.codeHash);
    this.#durations.set(p.task.codeHash, old === undefined ? ms : old * 0.8 + ms * 0.2);
    this.#settle(p, {
      outcome: r.outcome.ok
        ? { ok: true, outputJson: r.outcome.outputJson }
        : { ok: false, error: r.outcome.error as SerializedError },
      changes: r.changes,
      stdout: r.stdout,
      stderr: r.stderr,
      startedAt: r.startedAt,
      finishedAt: r.finishedAt,
    });
  }

  #settle(p: Pending, result: StepTaskResult): void {
    if (p.done) return;
    p.done = true;
    p.signal?.removeEventListener("abort", p.onAbort);
    p.resolve(result);
  }

  #cancel(p: Pending): void {
    if (p.done) return;
    p.cancelled = true;
    const batch = p.batch;
    if (!batch) {
      this.#settle(
        p,
        failedAttempt("StepCancelledError", "the run was cancelled before the step started", Date.now()),
      );
      return;
    }
    Atomics.store(batch.cells, CONTROL.CANCEL_BASE + p.index, 1);
    if (Atomics.load(batch.cells, CONTROL.CURRENT) === p.index) {
      interruptStep(batch, p.index, INTERRUPT_REASON.CANCELLED, Date.now());
    }
  }
}
