/**
 * One run of a workflow: starts steps as soon as their dependencies succeed, up to the
 * concurrency limit; retries with delay and backoff; skips the dependents of failed
 * steps; stops scheduling on fail-fast or cancellation; builds the run report.
 */
import { CancelSource } from "./cancel.js";
import type { SerializedError } from "./errors.js";
import type { RunEvent } from "./events.js";
import { Fifo } from "./fifo.js";
import type { FileChanges } from "./file-tree.js";
import type { ResolvedEngineOptions, RunOptions } from "./options.js";
import type { Clock } from "./platform.js";
import type { RunReport } from "./report.js";
import { failedAttempt, type StepPool, type StepTask, type StepTaskResult } from "./step-pool.js";
import { buildReport, createStepStates, type StepState, TaskBuilder } from "./step-state.js";
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

  constructor(
    workflow: WorkflowDefinition,
    runId: string,
    pool: StepPool,
    clock: Clock,
    engine: ResolvedEngineOptions,
    options: RunOptions,
    emit: (event: RunEvent) => void,
    listening: () => boolean = () => true,
  ) {
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
    const startedAt = this.#clock.now();
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
    for (const s of this.#states) if (s.waitingOn === 0) this.#makeReady(s);
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
    );
    this.#emit({ type: "run-finished", runId: this.#runId, status: report.status, time: finishedAt, report });
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
    const stepId = s.def.id;
    if (this.#listening())
      this.#emit({ type: "step-started", runId: this.#runId, stepId, attempt, time: this.#clock.now() });
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
    this.#pool.run(task, { signal: this.#cancel.signal, onLog }).then(
      (result) => this.#finish(s, result),
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
    if (r.outcome.ok) {
      s.phase = "succeeded";
      s.outputJson = r.outcome.outputJson;
      s.error = null;
      this.#workspace.record(s.def.id, r.changes as FileChanges);
      if (this.#listening())
        this.#emit({
          type: "step-succeeded",
          runId: this.#runId,
          stepId: s.def.id,
          attempt: s.attempts,
          durationMs: r.finishedAt - r.startedAt,
          time,
        });
      for (const child of s.dependents)
        if (--child.waitingOn === 0 && child.phase === "pending") this.#makeReady(child);
    } else {
      s.error = { name: r.outcome.error.name, message: r.outcome.error.message };
      if (this.#cancelledBySignal) {
        s.phase = "cancelled";
        this.#emit({
          type: "step-cancelled",
          runId: this.#runId,
          stepId: s.def.id,
          reason: this.#stopReason,
          time,
        });
      } else if (s.attempts <= s.def.retries) this.#retry(s, r.outcome.error, time);
      else {
        s.phase = "failed";
        this.#emit({
          type: "step-failed",
          runId: this.#runId,
          stepId: s.def.id,
          attempt: s.attempts,
          error: s.error,
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

  #retry(s: StepState, error: SerializedError, time: number): void {
    const delayMs = retryDelayMs(s.def.retryDelay, s.def.retryBackoff, s.attempts);
    s.phase = "retry-wait";
    this.#waitingRetry++;
    this.#emit({
      type: "step-retrying",
      runId: this.#runId,
      stepId: s.def.id,
      attempt: s.attempts,
      error,
      delayMs,
      time,
    });
    this.#clock.sleep(delayMs, this.#cancel.signal).then(() => {
      this.#waitingRetry--;
      if (this.#stopped) {
        s.phase = this.#cancelledBySignal ? "cancelled" : "failed";
        if (s.phase === "failed") this.#skipDependents(s);
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
