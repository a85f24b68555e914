/**
 * The state the scheduler keeps for each step of a run, how a step's next attempt becomes
 * a {@link StepTask}, and how the states become the run report.
 */
import type { SerializedError } from "./errors.js";
import type { FileChanges } from "./file-tree.js";
import { type FanOut, itemId } from "./for-each.js";
import { hashString } from "./hash.js";
import type { ResolvedEngineOptions, RunOptions } from "./options.js";
import type { RunReport, StepReport } from "./report.js";
import type { StepTask, StepTaskLimits } from "./step-pool.js";
import { type DependencyCounts, dependencyCounts } from "./trigger-rules.js";
import type { StepDefinition, WorkflowDefinition } from "./workflow.js";
import type { RunWorkspace } from "./workspace.js";

/** Where a step is in its run. */
export type Phase =
  | "pending"
  | "ready"
  | "running"
  | "retry-wait"
  | "succeeded"
  | "failed"
  | "skipped"
  | "cancelled";

/** What became of a step's compensation. */
export interface CompensationRecord {
  status: "succeeded" | "failed" | "cancelled";
  outputJson: string | undefined;
  error: SerializedError | null;
}

/** One step's state in a run. */
export interface StepState {
  readonly def: StepDefinition;
  readonly index: number;
  readonly idJson: string;
  readonly codeHash: string;
  readonly dependents: StepState[];
  phase: Phase;
  /** How the step's dependencies have ended so far (its trigger rule looks at them). */
  readonly deps: DependencyCounts;
  /** A skipped step: by its condition (or only skipped steps upstream), or because one upstream failed. */
  skipKind: "condition" | "upstream" | undefined;
  attempts: number;
  outputJson: string | undefined;
  stdout: string;
  stderr: string;
  error: SerializedError | null;
  startedAt: number | null;
  finishedAt: number | null;
  /** The result came from the step cache. */
  cached: boolean;
  /** A rerun kept the result recorded by this run. */
  reusedFrom: string | undefined;
  /** An item of a for_each step: its step, its index, the item as JSON, the files it changed. */
  item?: { readonly parent: StepState; readonly index: number; readonly json: string; changes?: FileChanges };
  /** A for_each step once its list is known: its items. */
  fanout?: FanOut;
  /** What became of the step's compensation (a failed run's saga), once it ran. */
  compensation?: CompensationRecord;
  /** A repeat step past its first iteration: which, the last output, the attempts before it. */
  loop?: { readonly iteration: number; readonly previousJson: string; readonly attemptBase: number };
}

const MB = 1024 * 1024;

/** A step state before its first attempt. */
function pendingState(
  def: StepDefinition,
  index: number,
  idJson: string,
  codeHash: string,
  dependencies: number,
): StepState {
  return {
    def,
    index,
    idJson,
    codeHash,
    dependents: [],
    phase: "pending",
    deps: dependencyCounts(dependencies),
    skipKind: undefined,
    attempts: 0,
    outputJson: undefined,
    stdout: "",
    stderr: "",
    error: null,
    startedAt: null,
    finishedAt: null,
    cached: false,
    reusedFrom: undefined,
  };
}

/** The state of item `index` of the for_each step `parent`: its own attempts, same definition otherwise. */
export function itemState(parent: StepState, index: number, itemJson: string): StepState {
  const def = { ...parent.def, id: itemId(parent.def.id, index) };
  const state = pendingState(def, parent.index, parent.idJson, parent.codeHash, 0);
  state.item = { parent, index, json: itemJson };
  return state;
}

/**
 * The states of a workflow's steps, with dependents linked.
 * @throws Error when a `file` step's code was not loaded.
 */
export function createStepStates(workflow: WorkflowDefinition): {
  states: StepState[];
  byId: Map<string, StepState>;
} {
  const hashes = new Map<string, string>();
  const byId = new Map<string, StepState>();
  const states = workflow.steps.map((def, index) => {
    if (def.code === undefined) {
      throw new Error(
        `step '${def.id}' reads its code from '${def.file ?? def.module}', which was not loaded; load the workflow with loadWorkflowFile()`,
      );
    }
    let codeHash = hashes.get(def.code);
    if (codeHash === undefined) {
      codeHash = hashString(def.code);
      hashes.set(def.code, codeHash);
    }
    const state = pendingState(def, index, JSON.stringify(def.id), codeHash, def.dependsOn.length);
    byId.set(def.id, state);
    return state;
  });
  for (const s of states) for (const d of s.def.dependsOn) byId.get(d)?.dependents.push(s);
  return { states, byId };
}

/** Builds the tasks of a run's step attempts. */
export class TaskBuilder {
  readonly #limitsByMemory = new Map<number, StepTaskLimits>();
  /** `{"params":...}` when the run has params (shared by all its tasks), else undefined. */
  readonly #contextJson: string | undefined;
  readonly #paramsJson: string;

  constructor(
    private readonly runId: string,
    private readonly byId: ReadonlyMap<string, StepState>,
    private readonly workspace: RunWorkspace,
    private readonly engine: ResolvedEngineOptions,
    private readonly options: RunOptions,
  ) {
    const params = options.params ?? {};
    this.#paramsJson = JSON.stringify(params);
    this.#contextJson = Object.keys(params).length > 0 ? `{"params":${this.#paramsJson}}` : undefined;
  }

  /** The task for the step's current attempt: inputs from its direct dependencies, files from its ancestors. */
  build(s: StepState): StepTask {
    const def = s.def;
    let inputsJson = "{";
    // A for_each item gets its item, not the step's inputs (they would cross to the worker
    // once per item: a list of n items from a dependency would cost n times its size).
    // What an item needs of them its for_each expression puts in the item.
    (s.item ? [] : def.dependsOn).forEach((dep, i) => {
      const d = this.byId.get(dep) as StepState;
      inputsJson += `${i === 0 ? "" : ","}${d.idJson}:${d.outputJson ?? "null"}`;
    });
    if (s.loop) inputsJson += `${inputsJson === "{" ? "" : ","}"previous":${s.loop.previousJson}`;
    inputsJson += "}";
    // Workflow files are untrusted: what they ask for is cut to the engine's ceilings.
    const timeout = Math.min(
      def.timeout ?? this.options.timeout ?? this.engine.timeout,
      this.engine.maxTimeout,
    );
    const item = s.item;
    const contextJson = item
      ? `{"params":${this.#paramsJson},"item":${item.json},"index":${item.index}}`
      : this.#contextJson;
    // An item runs as its step (its id, secrets, files); only the journal tells items apart.
    const stepId = item ? item.parent.def.id : def.id;
    return {
      runId: this.runId,
      stepId,
      attempt: s.attempts,
      language: def.language,
      code: def.code as string,
      codeHash: s.codeHash,
      inputsJson,
      ...(contextJson !== undefined ? { contextJson } : {}),
      env: def.env,
      files: this.workspace.viewFor(stepId),
      limits: this.#limits(Math.min(def.memory ?? this.engine.memory, this.engine.maxMemory)),
      timeoutMs: Math.round(timeout * 1000),
      ...(def.allowNet
        ? {
            net: {
              hosts: def.allowNet,
              maxBytes: this.engine.netResponseLimit,
              timeoutMs: Math.round(this.engine.netTimeout * 1000),
            },
          }
        : {}),
    };
  }

  /** One limits object per memory size: a batch's structured clone then sends it once. */
  #limits(memoryMb: number): StepTaskLimits {
    let limits = this.#limitsByMemory.get(memoryMb);
    if (!limits) {
      limits = Object.freeze({
        memoryBytes: Math.round(memoryMb * MB),
        outputBytes: this.engine.outputLimit,
        resultBytes: this.engine.resultLimit,
        processes: this.engine.processLimit,
        workspaceBytes: this.engine.workspaceLimit,
      });
      this.#limitsByMemory.set(memoryMb, limits);
    }
    return limits;
  }
}

/** A step's output as a value. Workers check results, so a parse failure here is a worker bug: report it, don't throw. */
function parseOutput(json: string | undefined): unknown {
  if (json === undefined) return null;
  try {
    return JSON.parse(json);
  } catch (e) {
    return { sandflow_error: `the worker returned output that is not JSON: ${(e as Error).message}` };
  }
}

/**
 * A step's times as the report gives them: whole epoch milliseconds (workers measure
 * finer; this is the one place they are rounded), first start to last end.
 */
export function stepTimes(s: StepState): {
  startedAt: number | null;
  finishedAt: number | null;
  durationMs: number | null;
} {
  const startedAt = s.startedAt === null ? null : Math.round(s.startedAt);
  const finishedAt = s.finishedAt === null ? null : Math.round(s.finishedAt);
  return {
    startedAt,
    finishedAt,
    durationMs: startedAt !== null && finishedAt !== null ? finishedAt - startedAt : null,
  };
}

const REPORTED_PHASE: Readonly<Record<Phase, StepReport["status"]>> = {
  pending: "pending",
  ready: "pending",
  "retry-wait": "pending",
  running: "running",
  succeeded: "succeeded",
  failed: "failed",
  skipped: "skipped",
  cancelled: "cancelled",
};

/** Fields of a report that only some runs have. */
export interface ReportExtras {
  /** The status of an unfinished run (`running`, `interrupted`); default: from the steps. */
  readonly status?: RunReport["status"];
  readonly rerunOf?: string | undefined;
  /** The run whose sub-workflow step started this one. */
  readonly parentRun?: string | undefined;
  /** The run's params. Default: none (`{}`). */
  readonly params?: Readonly<Record<string, unknown>> | undefined;
}

/** The run report from the steps' states (final ones, or those of an unfinished run). */
export function buildReport(
  workflow: WorkflowDefinition,
  runId: string,
  states: readonly StepState[],
  cancelled: boolean,
  startedAt: number,
  finishedAt: number,
  extras: ReportExtras = {},
): RunReport {
  const steps: Record<string, StepReport> = Object.create(null);
  let failed = false;
  const finished = extras.status === undefined;
  for (const s of states) {
    const status = finished
      ? s.phase === "succeeded" || s.phase === "failed" || s.phase === "skipped"
        ? s.phase
        : "cancelled"
      : REPORTED_PHASE[s.phase];
    // Skipped steps alone do not fail a run (a false condition is not a failure): a step
    // skipped because one upstream failed comes with that failed step.
    if (status === "failed") failed = true;
    steps[s.def.id] = {
      status,
      language: s.def.language,
      ...(s.def.wait ? { kind: "wait" as const } : s.def.subworkflow ? { kind: "workflow" as const } : {}),
      output: status === "succeeded" ? parseOutput(s.outputJson) : null,
      stdout: s.stdout,
      stderr: s.stderr,
      error: s.error,
      attempts: s.attempts,
      ...stepTimes(s),
      ...(s.cached ? { cached: true } : {}),
      ...(s.reusedFrom !== undefined ? { reusedFrom: s.reusedFrom } : {}),
      ...(s.fanout ? { items: s.fanout.report() } : {}),
      ...(s.compensation
        ? {
            compensation: {
              status: s.compensation.status,
              output: s.compensation.status === "succeeded" ? parseOutput(s.compensation.outputJson) : null,
              error: s.compensation.error,
            },
          }
        : {}),
      ...(s.def.repeat ? { iterations: s.loop?.iteration ?? (s.attempts > 0 ? 1 : 0) } : {}),
    };
  }
  const status = extras.status ?? (cancelled ? "cancelled" : failed ? "failed" : "succeeded");
  return {
    workflow: workflow.name,
    runId,
    status,
    startedAt: Math.round(startedAt),
    finishedAt: Math.round(finishedAt),
    durationMs: Math.max(0, Math.round(finishedAt) - Math.round(startedAt)),
    params: { ...extras.params },
    steps,
    ...(extras.rerunOf !== undefined ? { rerunOf: extras.rerunOf } : {}),
    ...(extras.parentRun !== undefined ? { parentRun: extras.parentRun } : {}),
  };
}
