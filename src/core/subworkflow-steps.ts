/**
 * Steps that run another workflow: the run's pool is wrapped so that their attempts start
 * a child run (a run of its own, linked by `parentRun`) and end with its leaf outputs. A
 * child's id comes from its parent's, its step and its attempt, so a parent resumed after a
 * crash finds and continues the child it had started instead of starting it again.
 */
import { sha256 } from "./durable/sha256.js";
import type { Store } from "./durable/store.js";
import { compileExpression } from "./expressions.js";
import type { CancelSignal, Clock } from "./platform.js";
import type { RunReport } from "./report.js";
import {
  failedAttempt,
  type StepPool,
  type StepRunOptions,
  type StepTask,
  type StepTaskResult,
  withRun,
} from "./step-pool.js";
import { MAX_SUBWORKFLOW_DEPTH } from "./subworkflow-checks.js";
import { leafSteps } from "./subworkflows.js";
import type { SubworkflowCall, WorkflowDefinition } from "./workflow.js";

/** A child run to start. */
export interface ChildStart {
  readonly runId: string;
  readonly parentRun: string;
  readonly params: Readonly<Record<string, unknown>>;
  readonly signal: CancelSignal | undefined;
}

/** How a child run starts, or goes on: given by the engine. */
export interface ChildRuns {
  /** Starts a new run of `workflow`, linked to run `parentRun`; resolves with its report. */
  start(workflow: WorkflowDefinition, start: ChildStart): Promise<RunReport>;
  /** The report of stored run `runId`, continuing it first when it was interrupted; `undefined` when it is not stored. */
  follow(runId: string, signal: CancelSignal | undefined): Promise<RunReport | undefined>;
}

/** What the sub-workflow steps of one run need. */
export interface SubworkflowContext {
  readonly store: Store | undefined;
  readonly clock: Clock;
  /** How many runs this one is nested in (0 for a run nobody started). */
  readonly depth: number;
  readonly children: ChildRuns;
}

/** The params a step gives its child, evaluated over what the step sees. */
function childParams(
  call: SubworkflowCall,
  task: StepTask,
  context: Readonly<Record<string, unknown>>,
  forEach: boolean,
) {
  const variables = { ...context, inputs: JSON.parse(task.inputsJson) as unknown };
  const params: Record<string, unknown> = Object.create(null);
  for (const [name, source] of Object.entries(call.params)) {
    const compiled = compileExpression(source, forEach ? "item" : "step");
    const value = compiled.ok ? compiled.value.evaluate(variables) : compiled;
    if (!value.ok) return { ok: false as const, message: `params.${name}: ${value.error}` };
    params[name] = value.value;
  }
  return { ok: true as const, params };
}

/**
 * The id of the child run of attempt `attempt` of a step (of one item of a for_each step):
 * derived from them, so every platform gives the same run the same children, and shaped
 * like the random ids of other runs (no common prefix with its parent's).
 */
export function childRunIdOf(runId: string, stepId: string, item: unknown, attempt: number): string {
  const h = sha256(`sandflow-child-run\n${runId}\n${stepId}\n${item ?? ""}\n${attempt}`);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-8${h.slice(13, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/** The child run an attempt has: one an earlier attempt left unfinished or succeeded with (cut off by a crash), or its own. */
async function childRunId(store: Store | undefined, task: StepTask, item: unknown): Promise<string> {
  const own = childRunIdOf(task.runId, task.stepId, item, task.attempt);
  if (!store || task.attempt === 1 || (await store.getRun(own))) return own;
  for (let k = task.attempt - 1; k >= 1; k--) {
    const id = childRunIdOf(task.runId, task.stepId, item, k);
    const run = await store.getRun(id);
    if (!run) continue;
    if (run.status !== "failed" && run.status !== "cancelled") return id;
    break;
  }
  return own;
}

/** The message of a failed child's step that failed in a sub-workflow of its own (see outcomeOf). */
const NESTED_FAILURE = /^sub-workflow (.+? \(run [0-9a-f-]{36}\)) failed: step ('[\s\S]*)$/;

/** How a finished child run ends its step. */
function outcomeOf(call: SubworkflowCall, child: WorkflowDefinition, report: RunReport) {
  if (report.status === "succeeded") {
    const output: Record<string, unknown> = {};
    for (const id of leafSteps(child)) output[id] = report.steps[id]?.output ?? null;
    return { ok: true as const, outputJson: JSON.stringify(output) };
  }
  const failed = Object.entries(report.steps).find(([, s]) => s.status === "failed");
  const error = failed?.[1].error;
  // A failure deeper down reads as one path to the step that failed, each run named once,
  // instead of each level's whole message nested in the next ("failed: step 'go' failed:
  // SubworkflowFailedError: sub-workflow ... failed: step 'go' failed: ...").
  const nested = error?.name === "SubworkflowFailedError" ? NESTED_FAILURE.exec(error.message) : null;
  const why = !failed
    ? ""
    : nested
      ? `: step '${failed[0]}' → ${nested[1]} step ${nested[2]}`
      : `: step '${failed[0]}' failed: ${error?.name}: ${error?.message}`;
  return {
    ok: false as const,
    error: {
      name: "SubworkflowFailedError",
      message: `sub-workflow ${call.path} (run ${report.runId}) ${report.status}${why}`,
    },
  };
}

async function runChild(
  ctx: SubworkflowContext,
  top: WorkflowDefinition,
  call: SubworkflowCall,
  forEach: boolean,
  task: StepTask,
  options: StepRunOptions,
): Promise<StepTaskResult> {
  const startedAt = ctx.clock.now();
  options.onStart?.(startedAt);
  const fail = (name: string, message: string) => failedAttempt(name, message, startedAt);
  const child = top.subworkflows?.[call.key];
  if (!child) return fail("StepRuntimeError", `sub-workflow ${call.path} is not loaded`);
  if (ctx.depth + 1 > MAX_SUBWORKFLOW_DEPTH)
    return fail(
      "SubworkflowDepthError",
      `sub-workflow ${call.path} would nest ${ctx.depth + 1} levels deep; the limit is ${MAX_SUBWORKFLOW_DEPTH}`,
    );
  // What the step sees besides its inputs: params, and item/index in a for_each step.
  const context = task.contextJson ? (JSON.parse(task.contextJson) as Record<string, unknown>) : {};
  const params = childParams(call, task, context, forEach);
  if (!params.ok) return fail("ExpressionError", params.message);
  const runId = await childRunId(ctx.store, task, context.index);
  const workflow: WorkflowDefinition = { ...child, subworkflows: top.subworkflows ?? {} };
  let report: RunReport;
  try {
    report =
      (await ctx.children.follow(runId, options.signal)) ??
      (await ctx.children.start(workflow, {
        runId,
        parentRun: task.runId,
        params: params.params,
        signal: options.signal,
      }));
  } catch (e) {
    const error = e as Error;
    const kept = error.name === "InvalidParamsError" || error.name === "SubworkflowLimitError";
    return fail(kept ? error.name : "SubworkflowFailedError", `sub-workflow ${call.path}: ${error.message}`);
  }
  return {
    outcome: outcomeOf(call, child, report),
    changes: { upserts: {}, deletes: [] },
    stdout: `sub-workflow ${call.path}: run ${report.runId} ${report.status}\n`,
    stderr: "",
    startedAt,
    finishedAt: ctx.clock.now(),
  };
}

/** The pool a run uses: sub-workflow steps start child runs here, every other step goes to `pool`. */
export function withSubworkflows(
  pool: StepPool,
  workflow: WorkflowDefinition,
  ctx: SubworkflowContext,
): StepPool {
  const calls = new Map(
    workflow.steps.flatMap((s) =>
      s.subworkflow ? [[s.id, { call: s.subworkflow, forEach: s.forEach !== undefined }] as const] : [],
    ),
  );
  if (calls.size === 0) return pool;
  const run = (task: StepTask, options: StepRunOptions = {}): Promise<StepTaskResult> => {
    const step = calls.get(task.stepId);
    return step ? runChild(ctx, workflow, step.call, step.forEach, task, options) : pool.run(task, options);
  };
  return withRun(pool, run);
}
