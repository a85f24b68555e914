/**
 * Saga compensation: when a run fails, the `compensate` code of each step that succeeded
 * runs, one at a time, in reverse order of the steps' finish, seeing the step's own output
 * as `inputs.output`. Each is journaled as `step#compensate`, so a stored run's report
 * shows it too.
 */
import type { RunRecorder } from "./durable/run-recorder.js";
import type { SerializedError } from "./errors.js";
import type { RunEvent } from "./events.js";
import { hashString } from "./hash.js";
import type { CancelSignal } from "./platform.js";
import type { StepPool, StepTask } from "./step-pool.js";
import type { StepState, TaskBuilder } from "./step-state.js";

const SUFFIX = "#compensate";

/** The journal id of a step's compensation. */
export function compensationId(stepId: string): string {
  return `${stepId}${SUFFIX}`;
}

/** The step a journal id is the compensation of, or undefined (step ids have no `#`). */
export function compensatedStep(journalId: string): string | undefined {
  return journalId.endsWith(SUFFIX) ? journalId.slice(0, -SUFFIX.length) : undefined;
}

/** True when a run whose steps ended so has compensations to run. */
export function needsCompensation(states: readonly StepState[]): boolean {
  return (
    states.some((s) => s.phase === "failed") &&
    states.some((s) => s.phase === "succeeded" && s.def.compensate !== undefined && !s.compensation)
  );
}

/** What the compensations need of their run. */
export interface CompensationContext {
  readonly pool: StepPool;
  readonly tasks: TaskBuilder;
  readonly recorder: RunRecorder | undefined;
  readonly signal: CancelSignal;
  readonly failure: (name: string, message: string) => SerializedError;
  readonly runId: string;
  readonly now: () => number;
  /** Told when each compensation starts and ends. */
  readonly emit: (event: RunEvent) => void;
}

/** The task of `s`'s compensation: its code and language, its output as `inputs.output`. */
function compensationTask(s: StepState, tasks: TaskBuilder): StepTask {
  const c = s.def.compensate as NonNullable<StepState["def"]["compensate"]>;
  return {
    ...tasks.build(s),
    attempt: 1,
    language: c.language,
    code: c.code,
    codeHash: hashString(c.code),
    inputsJson: `{"output":${s.outputJson ?? "null"}}`,
  };
}

/** Runs the compensations of the steps that succeeded, latest finish first. */
export async function compensate(states: readonly StepState[], ctx: CompensationContext): Promise<void> {
  const todo = states
    .filter((s) => s.phase === "succeeded" && s.def.compensate !== undefined && !s.compensation)
    .sort((a, b) => (b.finishedAt ?? 0) - (a.finishedAt ?? 0) || b.index - a.index);
  for (const s of todo) {
    // Journaled as a step of its own, so that neither the step's state nor its result changes.
    const journaled: StepState = {
      ...s,
      def: { ...s.def, id: compensationId(s.def.id) },
      attempts: 1,
      error: null,
      cached: false,
    };
    const stepId = s.def.id;
    const startedAt = ctx.now();
    const finished = () => {
      const c = s.compensation as NonNullable<StepState["compensation"]>;
      const time = ctx.now();
      ctx.emit({
        type: "compensation-finished",
        runId: ctx.runId,
        stepId,
        time,
        status: c.status,
        ...(c.error ? { error: c.error } : {}),
        durationMs: time - startedAt,
      });
    };
    if (ctx.signal.aborted) {
      s.compensation = {
        status: "cancelled",
        outputJson: undefined,
        error: ctx.failure("StepCancelledError", "the run was cancelled"),
      };
      finished();
      continue;
    }
    let task: StepTask;
    try {
      task = compensationTask(s, ctx.tasks);
    } catch (e) {
      s.compensation = {
        status: "failed",
        outputJson: undefined,
        error: ctx.failure("StepRuntimeError", `could not prepare the compensation: ${(e as Error).message}`),
      };
      finished();
      continue;
    }
    await ctx.recorder?.started(journaled).catch(() => undefined);
    ctx.emit({ type: "compensation-started", runId: ctx.runId, stepId, time: ctx.now() });
    const r = await ctx.pool.run(task, { signal: ctx.signal }).catch((e: unknown) => ({
      outcome: {
        ok: false as const,
        error: ctx.failure(
          "WorkerCrashedError",
          `the worker pool failed: ${String((e as Error)?.message ?? e)}`,
        ),
      },
      changes: { upserts: {}, deletes: [] },
      stdout: "",
      stderr: "",
      startedAt: 0,
      finishedAt: 0,
    }));
    s.compensation = r.outcome.ok
      ? { status: "succeeded", outputJson: r.outcome.outputJson, error: null }
      : {
          status: "failed",
          outputJson: undefined,
          error: { name: r.outcome.error.name, message: r.outcome.error.message },
        };
    journaled.error = s.compensation.error;
    ctx.recorder?.ended(journaled, r);
    finished();
  }
}
