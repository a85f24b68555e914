/**
 * One run of a workflow: starts steps as soon as their dependencies succeed, up to the
 * concurrency limit; retries with delay and backoff; skips the dependents of failed
 * steps; stops scheduling on fail-fast or cancellation; builds the run report.
 */
import { CancelSource } from "./cancel.js";
import { compensate, needsCompensation } from "./compensation.js";
import { type RunDurability, RunRecorder } from "./durable/run-recorder.js";
import type { SerializedError } from "./errors.js";
import type { RunEvent } from "./events.js";
import { Fifo } from "./fifo.js";
import type { FileChanges } from "./file-tree.js";
import type { ResolvedEngineOptions, RunOptions } from "./options.js";
import type { Clock } from "./platform.js";
import { PriorityQueue } from "./priority-queue.js";
import type { RunReport } from "./report.js";
import { StepConditions } from "./step-conditions.js";
import { StepFlow } from "./step-flow.js";
import { failedAttempt, type StepPool, type StepTask, type StepTaskResult } from "./step-pool.js";
import { buildReport, createStepStates, type StepState, stepTimes, TaskBuilder } from "./step-state.js";
import { retryDelayMs } from "./timer-range.js";
import type { WorkflowDefinition } from "./workflow.js";
import { RunWorkspace } from "./workspace.js";

export type { RunDurability } from "./durable/run-recorder.js";

/** A run's options, and what the engine knows of it besides. */
export interface ExecutionOptions extends RunOptions {
  /** The run whose sub-workflow step started this one. */
  readonly parentRun?: string;
}

/** Executes one run; create one per run and call {@link RunExecution.execute} once. */
export class RunExecution {
  readonly #workflow: WorkflowDefinition;
  readonly #runId: string;
  readonly #pool: StepPool;
  readonly #clock: Clock;
  readonly #options: ExecutionOptions;
  readonly #emit: (event: RunEvent) => void;
  /** False when nobody listens: the per-step events are then not even built. */
  readonly #listening: () => boolean;
  readonly #states: StepState[];
  readonly #tasks: TaskBuilder;
  readonly #workspace: RunWorkspace;
  readonly #cancel = new CancelSource();
  readonly #concurrency: number;
  /** Steps ready for a concurrency slot: by `priority` when the workflow sets any, else in order. */
  readonly #ready: Pick<Fifo<StepState>, "push" | "shift" | "size">;
  #running = 0;
  #compensating = false;
  #compensated = false;
  readonly #flow: StepFlow;
  #waitingRetry = 0;
  #stopped = false;
  #cancelledBySignal = false;
  #stopReason = "";
  #done: (() => void) | undefined;
  /** Present when the run is recorded in a store. */
  readonly #recorder: RunRecorder | undefined;

  constructor(
    workflow: WorkflowDefinition,
    runId: string,
    pool: StepPool,
    clock: Clock,
    engine: ResolvedEngineOptions,
    options: ExecutionOptions,
    emit: (event: RunEvent) => void,
    listening: () => boolean = () => true,
    durable?: RunDurability,
  ) {
    this.#recorder = durable
      ? new RunRecorder(durable, clock, (message) => this.#stop(message, true))
      : undefined;
    this.#listening = listening;
    this.#ready = workflow.steps.some((s) => s.priority)
      ? new PriorityQueue<StepState>((s) => s.def.priority ?? 0)
      : new Fifo<StepState>();
    this.#workflow = workflow;
    this.#runId = runId;
    this.#pool = pool;
    this.#clock = clock;
    this.#options = options;
    this.#emit = emit;
    this.#concurrency = options.concurrency ?? workflow.concurrency ?? engine.concurrency;
    const { states, byId } = createStepStates(workflow);
    this.#states = states;
    this.#workspace = new RunWorkspace(
      new Map(workflow.steps.map((s) => [s.id, s.dependsOn])),
      new Map(workflow.steps.map((s, i) => [s.id, i])),
    );
    this.#tasks = new TaskBuilder(runId, byId, this.#workspace, engine, options);
    this.#flow = new StepFlow(
      {
        runId,
        concurrency: this.#concurrency,
        engine,
        recorder: this.#recorder,
        workspace: this.#workspace,
        clock,
        emit: (event) => this.#emit(event),
        listening: () => this.#listening(),
        makeReady: (s) => this.#makeReady(s),
        stopped: () => this.#stopped,
        failed: (s) => {
          if (this.#options.failFast)
            this.#stop(`not started: step '${s.def.id}' failed and the run uses fail-fast`, false);
        },
      },
      new StepConditions(byId, options.params ?? {}),
    );
  }

  /** Runs the workflow to the end and returns its report. */
  async execute(): Promise<RunReport> {
    const startedAt = this.#recorder?.durability.startedAt ?? this.#clock.now();
    const waiting = this.#recorder?.seed(this.#states, this.#workspace) ?? [];
    const settled: Record<string, "succeeded" | "failed" | "skipped"> = {};
    for (const s of this.#states)
      if (s.phase === "succeeded" || s.phase === "failed" || s.phase === "skipped")
        settled[s.def.id] = s.phase;
    this.#emit({
      type: "run-started",
      runId: this.#runId,
      workflow: this.#workflow.name,
      steps: this.#states.map((s) => s.def.id),
      time: startedAt,
      ...(Object.keys(settled).length > 0 ? { settled } : {}),
    });
    const signal = this.#options.signal;
    const onAbort = () => this.#stop("the run was cancelled", true);
    if (signal?.aborted) onAbort();
    else signal?.addEventListener("abort", onAbort, { once: true });
    const finished = new Promise<void>((resolve) => {
      this.#done = resolve;
    });
    for (const { s, delayMs } of waiting) this.#waitThenReady(s, delayMs);
    // Steps a resumed run or a rerun starts with: their dependents learn how they ended.
    for (const s of this.#states)
      if (s.phase === "succeeded" || s.phase === "failed" || s.phase === "skipped") this.#flow.settle(s);
    for (const s of this.#states)
      if (s.def.dependsOn.length === 0 && s.phase === "pending") this.#flow.allowed(s);
    this.#pump();
    this.#checkDone();
    await finished;
    signal?.removeEventListener("abort", onAbort);
    this.#pool.endRun?.(this.#runId);
    const finishedAt = this.#clock.now();
    const report = buildReport(
      this.#workflow,
      this.#runId,
      this.#states,
      this.#cancelledBySignal,
      startedAt,
      finishedAt,
      {
        rerunOf: this.#recorder?.durability.rerunOf,
        parentRun: this.#options.parentRun,
        params: this.#options.params,
      },
    );
    await this.#recorder?.finished(report.status as "succeeded" | "failed" | "cancelled", finishedAt);
    this.#emit({ type: "run-finished", runId: this.#runId, status: report.status, time: finishedAt, report });
    if (this.#recorder?.error) throw this.#recorder.error;
    return report;
  }

  #makeReady(s: StepState): void {
    s.phase = "ready";
    this.#ready.push(s);
  }

  #pump(): void {
    while (!this.#stopped && this.#running < this.#concurrency && this.#ready.size > 0) {
      const s = this.#ready.shift() as StepState;
      if (s.phase === "ready") this.#start(s);
    }
  }

  #start(s: StepState): void {
    s.phase = "running";
    s.attempts++;
    this.#running++;
    const attempt = s.attempts;
    // A for_each item's logs are its step's; its starts and ends are told by its step.
    const stepId = s.item ? s.item.parent.def.id : s.def.id;
    const quiet = s.item !== undefined;
    // Told when a worker takes the attempt: the pool may queue it behind busy workers.
    // Asked of the pool only when someone listens (telling it costs a message per step).
    let started = false;
    const onStart = (time: number) => {
      if (started) return;
      started = true;
      if (!quiet && this.#listening())
        this.#emit({
          type: "step-started",
          runId: this.#runId,
          stepId,
          attempt,
          time: Math.round(time),
          ...(s.def.wait ? { wait: s.def.wait } : {}),
        });
    };
    const onLog = (stream: "stdout" | "stderr", text: string) =>
      this.#emit({ type: "log", runId: this.#runId, stepId, attempt, stream, text, time: this.#clock.now() });
    let task: StepTask;
    try {
      task = this.#tasks.build(s);
    } catch (e) {
      this.#finish(
        s,
        this.#failure("StepRuntimeError", `could not prepare the step: ${(e as Error).message}`),
      );
      return;
    }
    const recorder = this.#recorder;
    if (!recorder) {
      this.#dispatch(s, task, onLog, onStart);
      return;
    }
    // Dispatched once its start is committed (with the transitions of the same tick).
    recorder.started(s).then(
      () => {
        const key = recorder.cacheKey(s, task);
        if (key === undefined) this.#dispatch(s, task, onLog, onStart);
        else this.#fromCache(s, task, onLog, onStart, key);
      },
      (e: Error) => this.#finish(s, this.#failure("StoreError", e.message)),
    );
  }

  #fromCache(
    s: StepState,
    task: StepTask,
    onLog: (stream: "stdout" | "stderr", text: string) => void,
    onStart: (time: number) => void,
    key: string,
  ): void {
    (this.#recorder as RunRecorder).lookup(key).then((hit) => {
      if (!hit) {
        this.#dispatch(s, task, onLog, onStart, key);
        return;
      }
      s.cached = true;
      const at = this.#clock.now();
      onStart(at);
      this.#finish(s, {
        outcome: { ok: true, outputJson: hit.outputJson },
        changes: hit.files,
        stdout: hit.stdout,
        stderr: hit.stderr,
        startedAt: at,
        finishedAt: at,
      });
    });
  }

  #dispatch(
    s: StepState,
    task: StepTask,
    onLog: (stream: "stdout" | "stderr", text: string) => void,
    onStart: (time: number) => void,
    cacheKey?: string,
  ): void {
    const options = { signal: this.#cancel.signal, onLog };
    this.#pool.run(task, this.#listening() ? { ...options, onStart } : options).then(
      (result) => {
        // A pool that does not call onStart: the attempt started when its result says.
        if (result.outcome.ok || result.outcome.error.name !== "StepCancelledError")
          onStart(result.startedAt);
        if (cacheKey !== undefined) this.#recorder?.keep(cacheKey, s, result);
        this.#finish(s, result);
      },
      (e: unknown) =>
        this.#finish(
          s,
          this.#failure(
            "WorkerCrashedError",
            `the worker pool failed: ${(e as Error)?.message ?? String(e)}`,
          ),
        ),
    );
  }

  #failure(name: string, message: string): StepTaskResult {
    return failedAttempt(name, message, this.#clock.now());
  }

  #finish(s: StepState, r: StepTaskResult): void {
    this.#running--;
    s.stdout = r.stdout;
    s.stderr = r.stderr;
    s.startedAt ??= r.startedAt;
    s.finishedAt = r.finishedAt;
    const time = this.#clock.now();
    if (r.outcome.ok && s.def.repeat && this.#flow.repeated(s, r, r.outcome.outputJson, s.def.repeat)) {
      this.#pump();
      this.#checkDone();
      return;
    }
    if (r.outcome.ok) {
      s.phase = "succeeded";
      s.outputJson = r.outcome.outputJson;
      s.error = null;
      if (s.item) s.item.changes = r.changes as FileChanges;
      else this.#workspace.record(s.def.id, r.changes as FileChanges);
      this.#recorder?.ended(s, r);
      if (!s.item && this.#listening())
        this.#emit({
          type: "step-succeeded",
          runId: this.#runId,
          stepId: s.def.id,
          attempt: s.attempts,
          durationMs: stepTimes(s).durationMs ?? 0,
          time,
        });
      this.#flow.settle(s);
    } else {
      s.error = { name: r.outcome.error.name, message: r.outcome.error.message };
      if (this.#cancelledBySignal) {
        s.phase = "cancelled";
        this.#recorder?.closed(s, "cancelled", { name: s.error.name, message: this.#stopReason });
        if (!s.item)
          this.#emit({
            type: "step-cancelled",
            runId: this.#runId,
            stepId: s.def.id,
            reason: this.#stopReason,
            time,
          });
      } else if (s.attempts - (s.loop?.attemptBase ?? 0) <= s.def.retries)
        this.#retry(s, r, r.outcome.error, time);
      else {
        s.phase = "failed";
        this.#recorder?.ended(s, r);
        if (!s.item)
          this.#emit({
            type: "step-failed",
            runId: this.#runId,
            stepId: s.def.id,
            attempt: s.attempts,
            error: s.error,
            durationMs: stepTimes(s).durationMs ?? 0,
            time,
          });
        this.#flow.settle(s);
        if (this.#options.failFast)
          this.#stop(`not started: step '${s.def.id}' failed and the run uses fail-fast`, false);
      }
    }
    this.#pump();
    this.#checkDone();
  }

  #retry(s: StepState, r: StepTaskResult, error: SerializedError, time: number): void {
    const delayMs = retryDelayMs(s.def.retryDelay, s.def.retryBackoff, s.attempts);
    s.phase = "retry-wait";
    this.#recorder?.ended(s, r, time + delayMs);
    this.#waitThenReady(s, delayMs);
    if (!s.item)
      this.#emit({
        type: "step-retrying",
        runId: this.#runId,
        stepId: s.def.id,
        attempt: s.attempts,
        error,
        delayMs,
        time,
      });
  }

  /** A step waiting to retry: ready after `delayMs` (the wake time is in the journal). */
  #waitThenReady(s: StepState, delayMs: number): void {
    this.#waitingRetry++;
    this.#clock.sleep(delayMs, this.#cancel.signal).then(() => {
      this.#waitingRetry--;
      if (this.#stopped) {
        s.phase = this.#cancelledBySignal ? "cancelled" : "failed";
        const error = s.error ?? { name: "StepCancelledError", message: this.#stopReason };
        this.#recorder?.closed(s, s.phase, error);
        if (s.phase === "failed") this.#flow.settle(s);
      } else {
        s.phase = "ready";
        this.#ready.push(s);
      }
      this.#pump();
      this.#checkDone();
    });
  }

  #stop(reason: string, bySignal: boolean): void {
    if (this.#stopped && !bySignal) return;
    this.#stopped = true;
    if (bySignal && !this.#cancelledBySignal) {
      this.#cancelledBySignal = true;
      this.#stopReason = reason;
      this.#cancel.cancel();
    } else if (!this.#stopReason) this.#stopReason = reason;
    this.#checkDone();
  }

  #checkDone(): void {
    if (!this.#done || this.#running > 0 || this.#waitingRetry > 0 || this.#compensating) return;
    if (!this.#stopped && this.#ready.size > 0) return;
    for (const s of this.#states) {
      if (s.phase === "pending" || s.phase === "ready") {
        s.phase = "cancelled";
        s.error = { name: "StepCancelledError", message: this.#stopReason || "not started" };
        this.#recorder?.closed(s, "cancelled", s.error);
        this.#emit({
          type: "step-cancelled",
          runId: this.#runId,
          stepId: s.def.id,
          reason: s.error.message,
          time: this.#clock.now(),
        });
      }
    }
    // A failed run (not a cancelled one) undoes what its steps did: see compensation.ts.
    if (!this.#cancelledBySignal && !this.#compensated && needsCompensation(this.#states)) {
      this.#compensated = true;
      this.#compensating = true;
      compensate(this.#states, {
        pool: this.#pool,
        tasks: this.#tasks,
        recorder: this.#recorder,
        signal: this.#cancel.signal,
        failure: (name, message) => ({ name, message }),
        runId: this.#runId,
        now: () => this.#clock.now(),
        emit: (event) => this.#emit(event),
      }).finally(() => {
        this.#compensating = false;
        this.#checkDone();
      });
      return;
    }
    const done = this.#done;
    this.#done = undefined;
    done();
  }
}
