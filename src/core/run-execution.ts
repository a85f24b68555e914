/**
 * One run of a workflow: starts steps as soon as their dependencies succeed, up to the
 * concurrency limit; retries with delay and backoff; skips the dependents of failed
 * steps; stops scheduling on fail-fast or cancellation; builds the run report.
 */
import { CancelSource } from "./cancel.js";
import type { JournalEntry } from "./durable/journal.js";
import type { RunJournal } from "./durable/run-journal.js";
import type { RecordedStep } from "./durable/run-state.js";
import type { StepCache } from "./durable/step-cache.js";
import type { SerializedError } from "./errors.js";
import type { RunEvent } from "./events.js";
import { Fifo } from "./fifo.js";
import type { FileChanges } from "./file-tree.js";
import type { ResolvedEngineOptions, RunOptions } from "./options.js";
import type { Clock } from "./platform.js";
import type { RunReport } from "./report.js";
import { failedAttempt, type StepPool, type StepTask, type StepTaskResult } from "./step-pool.js";
import { buildReport, createStepStates, type StepState, stepTimes, TaskBuilder } from "./step-state.js";

/** What makes a run durable: its journal, where it starts from, and the step cache. */
export interface RunDurability {
  readonly journal: RunJournal;
  /** The recorded state of a resumed run, or the kept results of a rerun. */
  readonly prior?: ReadonlyMap<string, RecordedStep>;
  readonly cache?: StepCache;
  /** When the run first started (a resumed run keeps it). */
  readonly startedAt?: number;
  readonly rerunOf?: string;
}

import { retryDelayMs } from "./timer-range.js";
import type { WorkflowDefinition } from "./workflow.js";
import { RunWorkspace } from "./workspace.js";

/** Executes one run; create one per run and call {@link RunExecution.execute} once. */
export class RunExecution {
  readonly #workflow: WorkflowDefinition;
  readonly #runId: string;
  readonly #pool: StepPool;
  readonly #clock: Clock;
  readonly #options: RunOptions;
  readonly #emit: (event: RunEvent) => void;
  /** False when nobody listens: the per-step events are then not even built. */
  readonly #listening: () => boolean;
  readonly #states: StepState[];
  readonly #tasks: TaskBuilder;
  readonly #workspace: RunWorkspace;
  readonly #cancel = new CancelSource();
  readonly #concurrency: number;
  readonly #ready = new Fifo<StepState>();
  #running = 0;
  #waitingRetry = 0;
  #stopped = false;
  #cancelledBySignal = false;
  #stopReason = "";
  #done: (() => void) | undefined;
  readonly #durable: RunDurability | undefined;
  #storeError: Error | undefined;

  constructor(
    workflow: WorkflowDefinition,
    runId: string,
    pool: StepPool,
    clock: Clock,
    engine: ResolvedEngineOptions,
    options: RunOptions,
    emit: (event: RunEvent) => void,
    listening: () => boolean = () => true,
    durable?: RunDurability,
  ) {
    this.#durable = durable;
    this.#listening = listening;
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
  }

  /** Runs the workflow to the end and returns its report. */
  async execute(): Promise<RunReport> {
    const startedAt = this.#durable?.startedAt ?? this.#clock.now();
    this.#emit({
      type: "run-started",
      runId: this.#runId,
      workflow: this.#workflow.name,
      steps: this.#states.map((s) => s.def.id),
      time: startedAt,
    });
    const signal = this.#options.signal;
    const onAbort = () => this.#stop("the run was cancelled", true);
    if (signal?.aborted) onAbort();
    else signal?.addEventListener("abort", onAbort, { once: true });
    const finished = new Promise<void>((resolve) => {
      this.#done = resolve;
    });
    if (this.#durable?.prior) this.#seed(this.#durable.prior);
    for (const s of this.#states) if (s.waitingOn === 0 && s.phase === "pending") this.#makeReady(s);
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
      { rerunOf: this.#durable?.rerunOf },
    );
    const journal = this.#durable?.journal;
    if (journal && !this.#storeError) {
      const status = report.status as "succeeded" | "failed" | "cancelled";
      await journal
        .add({ type: "run-finished", time: finishedAt, status })
        .catch((e) => this.#storeFailed(e));
    }
    this.#emit({ type: "run-finished", runId: this.#runId, status: report.status, time: finishedAt, report });
    if (this.#storeError) throw this.#storeError;
    return report;
  }

  /** Starts from recorded state: results kept, attempts counted on, retries waiting their time. */
  #seed(prior: ReadonlyMap<string, RecordedStep>): void {
    for (const s of this.#states) {
      const r = prior.get(s.def.id);
      if (!r) continue;
      s.attempts = r.attempts;
      s.startedAt = r.startedAt;
      s.finishedAt = r.finishedAt;
      s.stdout = r.stdout;
      s.stderr = r.stderr;
      s.error = r.error;
      if (r.status === "succeeded") {
        s.phase = "succeeded";
        s.outputJson = r.outputJson;
        s.cached = r.cached;
        s.reusedFrom = r.reusedFrom;
        if (r.files) this.#workspace.record(s.def.id, r.files);
        for (const child of s.dependents) child.waitingOn--;
      } else if (r.status === "failed" || r.status === "skipped") s.phase = r.status;
      else if (r.status === "retrying") {
        s.phase = "retry-wait";
        this.#waitThenReady(s, Math.max(0, (r.wakeAt ?? 0) - this.#clock.now()));
      }
    }
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
    const stepId = s.def.id;
    // Told when a worker takes the attempt: the pool may queue it behind busy workers.
    // Asked of the pool only when someone listens (telling it costs a message per step).
    let started = false;
    const onStart = (time: number) => {
      if (started) return;
      started = true;
      if (this.#listening())
        this.#emit({ type: "step-started", runId: this.#runId, stepId, attempt, time: Math.round(time) });
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
    const durable = this.#durable;
    if (!durable) {
      this.#dispatch(s, task, onLog, onStart);
      return;
    }
    durable.journal.add({ type: "step-started", stepId, attempt, time: this.#clock.now() }).then(
      () => {
        if (durable.cache && s.def.cacheTtl !== undefined)
          this.#fromCache(s, task, onLog, onStart, durable.cache);
        else this.#dispatch(s, task, onLog, onStart);
      },
      (e) => this.#finish(s, this.#failure("StoreError", this.#storeFailed(e))),
    );
  }

  #fromCache(
    s: StepState,
    task: StepTask,
    onLog: (stream: "stdout" | "stderr", text: string) => void,
    onStart: (time: number) => void,
    cache: StepCache,
  ): void {
    const key = cache.key(task);
    cache.lookup(key, this.#clock.now()).then(
      (hit) => {
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
      },
      () => this.#dispatch(s, task, onLog, onStart, key),
    );
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
        if (cacheKey !== undefined && result.outcome.ok)
          this.#durable?.cache
            ?.keep(cacheKey, s, {
              outputJson: result.outcome.outputJson,
              stdout: result.stdout,
              stderr: result.stderr,
              files: result.changes,
              createdAt: result.finishedAt,
            })
            .catch(() => undefined);
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

  /** The store could not be written: the run stops (it stays resumable) and fails with this error. */
  #storeFailed(e: unknown): string {
    const message = `the run's store (${this.#durable?.journal.store.label}) could not be written: ${(e as Error)?.message ?? String(e)}`;
    if (!this.#storeError) {
      this.#storeError = Object.assign(new Error(message), { name: "StoreError" });
      this.#stop(message, true);
    }
    return message;
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
    const ended = {
      stepId: s.def.id,
      attempt: s.attempts,
      stdout: r.stdout,
      stderr: r.stderr,
      startedAt: r.startedAt,
      finishedAt: r.finishedAt,
      time,
    };
    if (r.outcome.ok) {
      s.phase = "succeeded";
      s.outputJson = r.outcome.outputJson;
      s.error = null;
      this.#workspace.record(s.def.id, r.changes as FileChanges);
      this.#record({
        type: "step-succeeded",
        ...ended,
        outputJson: r.outcome.outputJson,
        files: r.changes,
        ...(s.cached ? { cached: true } : {}),
      });
      if (this.#listening())
        this.#emit({
          type: "step-succeeded",
          runId: this.#runId,
          stepId: s.def.id,
          attempt: s.attempts,
          durationMs: stepTimes(s).durationMs ?? 0,
          time,
        });
      for (const child of s.dependents)
        if (--child.waitingOn === 0 && child.phase === "pending") this.#makeReady(child);
    } else {
      s.error = { name: r.outcome.error.name, message: r.outcome.error.message };
      if (this.#cancelledBySignal) {
        s.phase = "cancelled";
        this.#record({
          type: "step-cancelled",
          stepId: s.def.id,
          reason: this.#stopReason,
          error: s.error,
          time,
        });
        this.#emit({
          type: "step-cancelled",
          runId: this.#runId,
          stepId: s.def.id,
          reason: this.#stopReason,
          time,
        });
      } else if (s.attempts <= s.def.retries) this.#retry(s, r.outcome.error, ended);
      else {
        s.phase = "failed";
        this.#record({ type: "step-failed", ...ended, error: s.error });
        this.#emit({
          type: "step-failed",
          runId: this.#runId,
          stepId: s.def.id,
          attempt: s.attempts,
          error: s.error,
          durationMs: stepTimes(s).durationMs ?? 0,
          time,
        });
        this.#skipDependents(s);
        if (this.#options.failFast)
          this.#stop(`not started: step '${s.def.id}' failed and the run uses fail-fast`, false);
      }
    }
    this.#pump();
    this.#checkDone();
  }

  #record(entry: JournalEntry): void {
    this.#durable?.journal.add(entry).catch((e) => this.#storeFailed(e));
  }

  #retry(
    s: StepState,
    error: SerializedError,
    ended: Omit<Extract<JournalEntry, { type: "step-failed" }>, "type" | "error">,
  ): void {
    const time = ended.time;
    const delayMs = retryDelayMs(s.def.retryDelay, s.def.retryBackoff, s.attempts);
    s.phase = "retry-wait";
    this.#record({ type: "step-retrying", ...ended, error, wakeAt: time + delayMs });
    this.#waitThenReady(s, delayMs);
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
        const time = this.#clock.now();
        const error = s.error ?? { name: "StepCancelledError", message: this.#stopReason };
        if (s.phase === "failed") {
          this.#record({
            type: "step-failed",
            stepId: s.def.id,
            attempt: s.attempts,
            stdout: s.stdout,
            stderr: s.stderr,
            startedAt: s.startedAt ?? time,
            finishedAt: s.finishedAt ?? time,
            error,
            time,
          });
          this.#skipDependents(s);
        } else
          this.#record({ type: "step-cancelled", stepId: s.def.id, reason: this.#stopReason, error, time });
      } else {
        s.phase = "ready";
        this.#ready.push(s);
      }
      this.#pump();
      this.#checkDone();
    });
  }

  #skipDependents(failed: StepState): void {
    const todo: [StepState, StepState][] = failed.dependents.map((c) => [c, failed]);
    while (todo.length > 0) {
      const [s, cause] = todo.pop() as [StepState, StepState];
      if (s.phase !== "pending") continue;
      s.phase = "skipped";
      const reason = `not run: dependency '${cause.def.id}' ${cause.phase === "failed" ? "failed" : "was skipped"}`;
      s.error = { name: "UpstreamFailedError", message: reason };
      this.#record({
        type: "step-skipped",
        stepId: s.def.id,
        reason,
        error: s.error,
        time: this.#clock.now(),
      });
      this.#emit({
        type: "step-skipped",
        runId: this.#runId,
        stepId: s.def.id,
        reason,
        time: this.#clock.now(),
      });
      for (const c of s.dependents) todo.push([c, s]);
    }
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
    if (!this.#done || this.#running > 0 || this.#waitingRetry > 0) return;
    if (!this.#stopped && this.#ready.size > 0) return;
    for (const s of this.#states) {
      if (s.phase === "pending" || s.phase === "ready") {
        s.phase = "cancelled";
        s.error = { name: "StepCancelledError", message: this.#stopReason || "not started" };
        const time = this.#clock.now();
        this.#record({
          type: "step-cancelled",
          stepId: s.def.id,
          reason: s.error.message,
          error: s.error,
          time,
        });
        this.#emit({
          type: "step-cancelled",
          runId: this.#runId,
          stepId: s.def.id,
          reason: s.error.message,
          time: this.#clock.now(),
        });
      }
    }
    const done = this.#done;
    this.#done = undefined;
    done();
  }
}
