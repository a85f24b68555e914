/**
 * The batches a {@link BatchingPool} has in flight, and the watchdog that enforces their
 * steps' timeouts and cancellation through each batch's control block: first a soft
 * interrupt the runtime notices, then, after a grace period, the worker is killed.
 */
import type { CancelSignal } from "../core/platform.js";
import { failedAttempt, type StepRunOptions, type StepTask, type StepTaskResult } from "../core/step-pool.js";
import { CONTROL, INTERRUPT_REASON, requestInterrupt } from "../protocol/control-block.js";
import { memoryAllowance } from "../protocol/worker-memory.js";
import type { SentRequest } from "./transport.js";

/** One step attempt handed to the pool. */
export interface Pending {
  readonly task: StepTask;
  readonly resolve: (result: StepTaskResult) => void;
  readonly onLog: StepRunOptions["onLog"];
  readonly onStart: StepRunOptions["onStart"];
  /** Whether `onStart` has been called. */
  started: boolean;
  readonly signal: CancelSignal | undefined;
  readonly onAbort: () => void;
  done: boolean;
  cancelled: boolean;
  batch: Batch | undefined;
  index: number;
}

/** Steps sent to one worker in one message, with their shared control block. */
export interface Batch {
  readonly id: number;
  readonly items: Pending[];
  readonly cells: Int32Array;
  readonly times: Float64Array;
  sent: SentRequest | undefined;
  interrupt: { index: number; at: number; reason: number } | undefined;
  killed: { index: number; reason: number; growth?: number } | undefined;
  /** The last memory measurement of its worker: when, and whether one is under way. */
  memoryCheck?: { at: number; busy: boolean };
  /** How long its worker may take to make an interpreter for one of its steps (ms). */
  readonly loadLimitMs: number;
  /** The load the watchdog saw going on, and since when. */
  loading?: { readonly index: number; readonly since: number };
}

/** What a step counts as when its worker died or was killed while it ran. */
export function lostStepResult(batch: Batch, p: Pending, error: unknown, now: number): StepTaskResult {
  const started = batch.times[CONTROL.START_F64] || now;
  const result = (name: string, message: string) => failedAttempt(name, message, now, started);
  if (batch.killed?.reason === INTERRUPT_REASON.TIMEOUT) {
    return result(
      "StepTimeoutError",
      `the step ran longer than its timeout of ${p.task.timeoutMs / 1000} s and did not stop when interrupted; its worker was replaced`,
    );
  }
  if (batch.killed?.reason === INTERRUPT_REASON.LOAD_TIMEOUT) {
    return result(
      "StepRuntimeError",
      `the ${p.task.language} interpreter did not load within ${batch.loadLimitMs >= 1000 ? `${Math.round(batch.loadLimitMs / 1000)} s` : `${batch.loadLimitMs} ms`}; its worker was replaced`,
    );
  }
  if (batch.killed?.reason === INTERRUPT_REASON.MEMORY) {
    const mb = (bytes: number) => Math.round(bytes / 1048576);
    return result(
      "MemoryLimitError",
      `the step grew its worker's memory (JavaScript heap, array buffers, wasm memories) by ${mb(batch.killed.growth ?? 0)} MB, past the ${mb(memoryAllowance(p.task.limits))} MB its memory limit of ${mb(p.task.limits.memoryBytes)} MB and its workspace, output and result limits allow; its worker was replaced`,
    );
  }
  if (batch.killed?.reason === INTERRUPT_REASON.CANCELLED) {
    return result(
      "StepCancelledError",
      "the step was stopped because the run was cancelled; its worker was replaced",
    );
  }
  const message = error instanceof Error ? error.message : String(error);
  return result("WorkerCrashedError", `the worker running the step died: ${message}`);
}

/** Tells the caller, once, that a worker has started the step (at `at`, epoch ms). */
export function markStarted(p: Pending, at: number): void {
  if (p.started) return;
  p.started = true;
  p.onStart?.(at);
}

/** Asks the step at `index` of `batch` to stop, once. */
export function interruptStep(batch: Batch, index: number, reason: number, now: number): void {
  if (batch.interrupt?.index === index) return;
  requestInterrupt(batch.cells, index, reason);
  batch.interrupt = { index, at: now, reason };
}

/** Checks the batches in flight every `everyMs` while there are any (and reports the steps it sees started). */
export class BatchWatchdog {
  #timer: ReturnType<typeof setInterval> | undefined;

  /**
   * @param memoryEveryMs how often the memory of a worker running a step is measured
   *   (when its transport can measure it).
   */
  constructor(
    private readonly batches: () => ReadonlyMap<number, Batch>,
    private readonly graceMs: number,
    private readonly everyMs: number,
    private readonly memoryEveryMs = 100,
  ) {}

  /** Starts checking (no-op when already running). */
  start(): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => this.check(Date.now()), this.everyMs);
    (this.#timer as { unref?: () => void }).unref?.();
  }

  /** Stops checking. */
  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** One round: interrupt overdue or cancelled steps; kill workers that ignored an interrupt. */
  check(now: number): void {
    const batches = this.batches();
    if (batches.size === 0) {
      this.stop();
      return;
    }
    for (const batch of batches.values()) {
      const index = Atomics.load(batch.cells, CONTROL.CURRENT);
      if (batch.killed) continue;
      if (index < 0) {
        this.#checkLoad(batch, now);
        continue;
      }
      const p = batch.items[index] as Pending;
      const started = batch.times[CONTROL.START_F64] as number;
      // Seen for a round first, and told on a later task: the result of the attempt the
      // worker ran before (posted before this start) is then handled first, even when the
      // host was too busy to run this timer on time; so one worker's starts and ends are
      // told in order.
      if (started > 0 && now - started >= this.everyMs && !p.started)
        setTimeout(() => markStarted(p, started), 0);
      this.#checkMemory(batch, index, p, now);
      if (batch.interrupt?.index === index) {
        if (now - batch.interrupt.at > this.graceMs) {
          batch.killed = { index, reason: batch.interrupt.reason };
          batch.sent?.kill();
        }
        continue;
      }
      const overdue = started > 0 && now - started > p.task.timeoutMs;
      if (p.cancelled || overdue) {
        interruptStep(batch, index, p.cancelled ? INTERRUPT_REASON.CANCELLED : INTERRUPT_REASON.TIMEOUT, now);
      }
    }
  }

  /**
   * Measures the memory of the worker running step `index` now and then; a step that grew
   * it past its allowance (src/protocol/worker-memory.ts) has its worker killed at once: the
   * memory is outside anything an interrupt would free.
   */
  #checkMemory(batch: Batch, index: number, p: Pending, now: number): void {
    const measure = batch.sent?.memory;
    const base = batch.times[CONTROL.BASE_MEMORY_F64] as number;
    if (!measure || !(base > 0) || batch.memoryCheck?.busy) return;
    if (batch.memoryCheck && now - batch.memoryCheck.at < this.memoryEveryMs) return;
    batch.memoryCheck = { at: now, busy: true };
    measure.call(batch.sent).then(
      (bytes) => {
        batch.memoryCheck = { at: now, busy: false };
        if (bytes === undefined || batch.killed) return;
        // Still the same step? (It may have ended while the measurement ran.)
        if (
          Atomics.load(batch.cells, CONTROL.CURRENT) !== index ||
          batch.times[CONTROL.BASE_MEMORY_F64] !== base
        )
          return;
        const growth = bytes - base;
        if (growth > memoryAllowance(p.task.limits)) {
          batch.killed = { index, reason: INTERRUPT_REASON.MEMORY, growth };
          batch.sent?.kill();
        }
      },
      () => {
        batch.memoryCheck = { at: now, busy: false };
      },
    );
  }

  /** Kills the worker of a batch whose interpreter load has gone on past its limit. */
  #checkLoad(batch: Batch, now: number): void {
    const loading = Atomics.load(batch.cells, CONTROL.LOADING);
    if (loading < 0) return;
    if (batch.loading?.index !== loading) batch.loading = { index: loading, since: now };
    else if (now - batch.loading.since > batch.loadLimitMs) {
      batch.killed = { index: loading, reason: INTERRUPT_REASON.LOAD_TIMEOUT };
      batch.sent?.kill();
    }
  }
}
