/**
 * One run of a workflow: starts steps as soon as their dependencies succeed, up to the
 * concurrency limit; retries with delay and backoff; skips the dependents of failed
 * steps; stops scheduling on fail-fast or cancellation; builds the run report.
 */
import { CancelSource } from "./cancel.js";
import type { SerializedError } from "./errors.js";
import type { RunEvent } from "./events.js";
import type { FileChanges } from "./file-tree.js";
import { hashString } from "./hash.js";
import type { ResolvedEngineOptions, RunOptions } from "./options.js";
import type { Clock } from "./platform.js";
import type { RunReport, StepReport } from "./report.js";
import {
  failedAttempt,
  type StepPool,
  type StepTask,
  type StepTaskLimits,
  type StepTaskResult,
} from "./step-pool.js";
import type { StepDefinition, WorkflowDefinition } from "./workflow.js";
import { RunWorkspace } from "./workspace.js";

type Phase =
  | "pending"
  | "ready"
  | "running"
  | "retry-wait"
  | "succeeded"
  | "failed"
  | "skipped"
  | "cancelled";

interface StepState {
  readonly def: StepDefinition;
  readonly index: number;
  readonly idJson: string;
  readonly codeHash: string;
  readonly dependents: StepState[];
  phase: Phase;
  waitingOn: number;
  attempts: number;
  outputJson: string | undefined;
  stdout: string;
  stderr: string;
  error: SerializedError | null;
  startedAt: number | null;
  finishedAt: number | null;
}

const MB = 1024 * 1024;

/** A step's output as a value. Workers check results, so a parse failure here is a worker bug: report it, don't throw. */
function parseOutput(json: string | undefined): unknown {
  if (json === undefined) return null;
  try {
    return JSON.parse(json);
  } catch (e) {
    return { sandflow_error: `the worker returned output that is not JSON: ${(e as Error).message}` };
  }
}

/** Executes one run; create one per run and call {@link RunExecution.execute} once. */
export class RunExecution {
  readonly #workflow: WorkflowDefinition;
  readonly #runId: string;
  readonly #pool: StepPool;
  readonly #clock: Clock;
  readonly #engine: ResolvedEngineOptions;
  readonly #options: RunOptions;
  readonly #emit: (event: RunEvent) => void;
  /** False when nobody listens: the per-step events are then not even built. */
  readonly #listening: () => boolean;
  readonly #states: StepState[];
  readonly #byId = new Map<string, StepState>();
  readonly #workspace: RunWorkspace;
  readonly #cancel = new CancelSource();
  readonly #concurrency: number;
  readonly #ready: StepState[] = [];
  readonly #limitsByMemory = new Map<number, StepTaskLimits>();
  #readyHead = 0;
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
    this.#engine = engine;
    this.#options = options;
    this.#emit = emit;
    this.#concurrency = options.concurrency ?? workflow.concurrency ?? engine.concurrency;
    const hashes = new Map<string, string>();
    this.#states = workflow.steps.map((def, index) => {
      if (def.code === undefined) {
        throw new Error(
          `step '${def.id}' reads its code from '${def.file}', which was not loaded; load the workflow with loadWorkflowFile()`,
        );
      }
      const state: StepState = {
        def,
        index,
        idJson: JSON.stringify(def.id),
        codeHash: hashes.get(def.code) ?? hashes.set(def.code, hashString(def.code)).get(def.code) ?? "",
        dependents: [],
        phase: "pending",
        waitingOn: def.dependsOn.length,
        attempts: 0,
        outputJson: undefined,
        stdout: "",
        stderr: "",
        error: null,
        startedAt: null,
        finishedAt: null,
      };
      this.#byId.set(def.id, state);
      return state;
    });
    for (const s of this.#states) for (const d of s.def.dependsOn) this.#byId.get(d)?.dependents.push(s);
    this.#workspace = new RunWorkspace(
      new Map(workflow.steps.map((s) => [s.id, s.dependsOn])),
      new Map(workflow.steps.map((s, i) => [s.id, i])),
    );
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
    const report = this.#report(startedAt, finishedAt);
    this.#emit({ type: "run-finished", runId: this.#runId, status: report.status, time: finishedAt, report });
    return report;
  }

  #makeReady(s: StepState): void {
    s.phase = "ready";
    this.#ready.push(s);
  }

  #pump(): void {
    while (!this.#stopped && this.#running < this.#concurrency && this.#readyHead < this.#ready.length) {
      const s = this.#ready[this.#readyHead++] as StepState;
      if (this.#readyHead > 4096 && this.#readyHead * 2 > this.#ready.length) {
        this.#ready.splice(0, this.#readyHead);
        this.#readyHead = 0;
      }
      if (s.phase === "ready") this.#start(s);
    }
  }

  #task(s: StepState): StepTask {
    const def = s.def;
    let inputsJson = "{";
    def.dependsOn.forEach((dep, i) => {
      const d = this.#byId.get(dep) as StepState;
      inputsJson += `${i === 0 ? "" : ","}${d.idJson}:${d.outputJson ?? "null"}`;
    });
    inputsJson += "}";
    // Workflow files are untrusted: what they ask for is cut to the engine's ceilings.
    const timeout = Math.min(
      def.timeout ?? this.#options.timeout ?? this.#engine.timeout,
      this.#engine.maxTimeout,
    );
    return {
      runId: this.#runId,
      stepId: def.id,
      attempt: s.attempts,
      language: def.language,
      code: def.code as string,
      codeHash: s.codeHash,
      inputsJson,
      env: def.env,
      files: this.#workspace.viewFor(def.id),
      limits: this.#limits(Math.min(def.memory ?? this.#engine.memory, this.#engine.maxMemory)),
      timeoutMs: Math.round(timeout * 1000),
    };
  }

  /** One limits object per memory size: a batch's structured clone then sends it once. */
  #limits(memoryMb: number): StepTaskLimits {
    let limits = this.#limitsByMemory.get(memoryMb);
    if (!limits) {
      limits = Object.freeze({
        memoryBytes: Math.round(memoryMb * MB),
        outputBytes: this.#engine.outputLimit,
        resultBytes: this.#engine.resultLimit,
        processes: this.#engine.processLimit,
        workspaceBytes: this.#engine.workspaceLimit,
      });
      this.#limitsByMemory.set(memoryMb, limits);
    }
    return limits;
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
      task = this.#task(s);
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
    const delayMs = Math.round(s.def.retryDelay * s.def.retryBackoff ** (s.attempts - 1) * 1000);
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
    if (!this.#stopped && this.#readyHead < this.#ready.length) return;
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

  #report(startedAt: number, finishedAt: number): RunReport {
    const steps: Record<string, StepReport> = {};
    let failed = false;
    for (const s of this.#states) {
      const status =
        s.phase === "succeeded" || s.phase === "failed" || s.phase === "skipped" ? s.phase : "cancelled";
      if (status === "failed" || status === "skipped") failed = true;
      steps[s.def.id] = {
        status,
        language: s.def.language,
        output: status === "succeeded" ? parseOutput(s.outputJson) : null,
        stdout: s.stdout,
        stderr: s.stderr,
        error: s.error,
        attempts: s.attempts,
        startedAt: s.startedAt,
        finishedAt: s.finishedAt,
        durationMs: s.startedAt !== null && s.finishedAt !== null ? s.finishedAt - s.startedAt : null,
      };
    }
    const status = this.#cancelledBySignal ? "cancelled" : failed ? "failed" : "succeeded";
    return {
      workflow: this.#workflow.name,
      runId: this.#runId,
      status,
      startedAt,
      finishedAt,
      durationMs: finishedAt - startedAt,
      steps,
    };
  }
}
