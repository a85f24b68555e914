/**
 * Steps that wait instead of running code: `sleep` (a duration or a time) and `wait_for`
 * / `approval` (a signal sent to the run). They take no worker: the run's pool is wrapped
 * so their attempts end here, when the time comes or a signal arrives. Their deadlines
 * count from the step's first start in the journal, so a run resumed after an interrupt
 * waits only the rest (or goes on at once when the time has passed).
 */

import { approvalDataSchema } from "./durable/signals.js";
import type { Store, StoredSignal } from "./durable/store.js";
import type { SerializedError } from "./errors.js";
import type { CancelSignal, Clock } from "./platform.js";
import {
  type StepPool,
  type StepRunOptions,
  type StepTask,
  type StepTaskResult,
  withRun,
} from "./step-pool.js";
import { MAX_TIMER_MS } from "./timer-range.js";
import type { WaitSpec, WorkflowDefinition } from "./workflow.js";

/** How often a waiting step looks for its signal in the store (a signal sent through this engine wakes it at once). */
const POLL_MS = 250;

/** Wakes the steps of a run that wait for signals (called when a signal is sent through this engine). */
export class SignalWakers {
  readonly #wakers = new Map<string, Set<() => void>>();

  /** Registers `wake` for `runId`; returns the function that removes it. */
  add(runId: string, wake: () => void): () => void {
    const set = this.#wakers.get(runId) ?? new Set<() => void>();
    this.#wakers.set(runId, set);
    set.add(wake);
    return () => {
      set.delete(wake);
      if (set.size === 0) this.#wakers.delete(runId);
    };
  }

  wake(runId: string): void {
    for (const wake of this.#wakers.get(runId) ?? []) wake();
  }
}

/** Where the waiting steps of one run look for time and signals. */
export interface WaitContext {
  readonly store: Store | undefined;
  readonly clock: Clock;
  readonly wakers: SignalWakers;
}

function ended(at: number, startedAt: number, outcome: StepTaskResult["outcome"]): StepTaskResult {
  return {
    outcome,
    changes: { upserts: {}, deletes: [] },
    stdout: "",
    stderr: "",
    startedAt,
    finishedAt: at,
  };
}

const failure = (name: string, message: string): StepTaskResult["outcome"] => ({
  ok: false,
  error: { name, message } satisfies SerializedError,
});

/** Resolves after `ms` or when woken or cancelled, whichever is first. */
function pause(
  clock: Clock,
  ms: number,
  signal: CancelSignal | undefined,
  woken: Promise<void>,
): Promise<void> {
  return Promise.race([clock.sleep(Math.max(0, ms), signal), woken]);
}

/** The epoch ms of the step's first start in the run's journal (its attempt 1), or `fallback`. */
async function firstStart(store: Store | undefined, task: StepTask, fallback: number): Promise<number> {
  const run = await store?.getRun(task.runId);
  const entry = run?.entries.find((e) => e.type === "step-started" && e.stepId === task.stepId);
  return entry?.time ?? fallback;
}

async function sleepStep(
  ctx: WaitContext,
  spec: Extract<WaitSpec, { kind: "sleep" }>,
  task: StepTask,
  options: StepRunOptions,
) {
  const now = ctx.clock.now();
  const wakeAt = spec.until ?? (await firstStart(ctx.store, task, now)) + (spec.ms ?? 0);
  const never = new Promise<void>(() => {});
  while (ctx.clock.now() < wakeAt && !options.signal?.aborted)
    await pause(ctx.clock, Math.min(wakeAt - ctx.clock.now(), MAX_TIMER_MS), options.signal, never);
  if (options.signal?.aborted)
    return ended(ctx.clock.now(), now, failure("CancelledError", "cancelled while sleeping"));
  return ended(ctx.clock.now(), now, { ok: true, outputJson: "null" });
}

/** The first signal of `name` no other step of the run has taken (a step keeps the one it took before a resume). */
async function takeSignal(store: Store, task: StepTask, name: string): Promise<StoredSignal | undefined> {
  for (const signal of await store.listSignals(task.runId, name)) {
    const key = `signal-taken:${task.runId}:${name}:${signal.signalId}`;
    const holder = await store.claimMark(key, task.stepId);
    if (holder === undefined || holder === task.stepId) return signal;
  }
  return undefined;
}

function signalOutcome(
  spec: Extract<WaitSpec, { kind: "signal" }>,
  signal: StoredSignal,
): StepTaskResult["outcome"] {
  if (!spec.approval) return { ok: true, outputJson: signal.dataJson };
  const data = approvalDataSchema.safeParse(JSON.parse(signal.dataJson));
  if (!data.success)
    return failure("ApprovalDeniedError", "the approval's data is not {approved, by?, comment?}");
  if (data.data.approved) return { ok: true, outputJson: signal.dataJson };
  const by = data.data.by ? ` by ${data.data.by}` : "";
  const comment = data.data.comment ? `: ${data.data.comment}` : "";
  return failure("ApprovalDeniedError", `not approved${by}${comment}`);
}

async function signalStep(
  ctx: WaitContext,
  spec: Extract<WaitSpec, { kind: "signal" }>,
  task: StepTask,
  options: StepRunOptions,
) {
  const now = ctx.clock.now();
  const store = ctx.store;
  if (!store)
    return ended(
      now,
      now,
      failure(
        "StepRuntimeError",
        `step '${task.stepId}' waits for a signal, which needs a store: create the engine with one`,
      ),
    );
  const deadline =
    spec.timeoutMs === undefined
      ? Number.POSITIVE_INFINITY
      : (await firstStart(store, task, now)) + spec.timeoutMs;
  let wake: () => void = () => {};
  const remove = ctx.wakers.add(task.runId, () => wake());
  try {
    for (;;) {
      const woken = new Promise<void>((resolve) => {
        wake = resolve;
      });
      const signal = await takeSignal(store, task, spec.name);
      if (signal) return ended(ctx.clock.now(), now, signalOutcome(spec, signal));
      if (options.signal?.aborted)
        return ended(ctx.clock.now(), now, failure("CancelledError", "cancelled while waiting"));
      if (ctx.clock.now() >= deadline) {
        const what = spec.approval ? "an approval" : `signal '${spec.name}'`;
        return ended(
          ctx.clock.now(),
          now,
          failure("SignalTimeoutError", `no ${what} came within the step's timeout`),
        );
      }
      await pause(ctx.clock, Math.min(POLL_MS, deadline - ctx.clock.now()), options.signal, woken);
    }
  } finally {
    remove();
  }
}

/** The pool a run uses: waiting steps end here, every other step goes to `pool`. */
export function withWaitSteps(pool: StepPool, workflow: WorkflowDefinition, ctx: WaitContext): StepPool {
  const waits = new Map(workflow.steps.flatMap((s) => (s.wait ? [[s.id, s.wait] as const] : [])));
  if (waits.size === 0) return pool;
  const run = (task: StepTask, options: StepRunOptions = {}): Promise<StepTaskResult> => {
    const spec = waits.get(task.stepId);
    if (!spec) return pool.run(task, options);
    options.onStart?.(ctx.clock.now());
    return spec.kind === "sleep" ? sleepStep(ctx, spec, task, options) : signalStep(ctx, spec, task, options);
  };
  return withRun(pool, run);
}
