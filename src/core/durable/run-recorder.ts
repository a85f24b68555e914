/**
 * What the scheduler of a durable run tells its journal: each transition of a step as a
 * journal entry, the recorded state a resumed run or a rerun starts from, and the step
 * cache. A run without a store has no recorder, and none of this costs it anything.
 */
import type { SerializedError } from "../errors.js";
import type { Clock } from "../platform.js";
import type { StepTask, StepTaskResult } from "../step-pool.js";
import type { StepState } from "../step-state.js";
import type { RunWorkspace } from "../workspace.js";
import type { JournalEntry } from "./journal.js";
import type { RunJournal } from "./run-journal.js";
import { applyRecorded, type RecordedStep } from "./run-state.js";
import type { StepCache } from "./step-cache.js";
import { type CachedStep, StoreError } from "./store.js";

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

/** Records one run's transitions; a failed write is reported once through `onFailure`. */
export class RunRecorder {
  readonly durability: RunDurability;
  readonly #clock: Clock;
  readonly #onFailure: (message: string) => void;
  #error: Error | undefined;

  constructor(durability: RunDurability, clock: Clock, onFailure: (message: string) => void) {
    this.durability = durability;
    this.#clock = clock;
    this.#onFailure = onFailure;
  }

  /** The store failure that stopped the run, if any. */
  get error(): Error | undefined {
    return this.#error;
  }

  /**
   * Applies the recorded state: results kept (with their files), attempts counted on.
   * @returns the steps that were waiting to retry, with what is left of their delay.
   */
  seed(states: readonly StepState[], workspace: RunWorkspace): { s: StepState; delayMs: number }[] {
    const prior = this.durability.prior;
    const waiting: { s: StepState; delayMs: number }[] = [];
    if (!prior) return waiting;
    for (const s of states) {
      const r = prior.get(s.def.id);
      if (!r) continue;
      applyRecorded(s, r);
      if (r.status === "succeeded") {
        s.phase = "succeeded";
        if (r.files) workspace.record(s.def.id, r.files);
      } else if (r.status === "failed" || r.status === "skipped") {
        s.phase = r.status;
        if (r.status === "skipped")
          s.skipKind = s.error?.name === "ConditionFalseError" ? "condition" : "upstream";
      } else if (r.status === "retrying") {
        s.phase = "retry-wait";
        waiting.push({ s, delayMs: Math.max(0, (r.wakeAt ?? 0) - this.#clock.now()) });
      }
    }
    return waiting;
  }

  /** Records an attempt's start; resolves once committed (the attempt is dispatched then). */
  started(s: StepState): Promise<void> {
    const entry: JournalEntry = {
      type: "step-started",
      stepId: s.def.id,
      attempt: s.attempts,
      time: this.#clock.now(),
    };
    return this.durability.journal.add(entry).catch((e) => {
      throw new Error(this.#failed(e));
    });
  }

  /** Records how an attempt ended: success, failure, or a retry waking at `wakeAt`. */
  ended(s: StepState, r: StepTaskResult, wakeAt?: number): void {
    const base = {
      stepId: s.def.id,
      attempt: s.attempts,
      stdout: r.stdout,
      stderr: r.stderr,
      startedAt: r.startedAt,
      finishedAt: r.finishedAt,
      time: this.#clock.now(),
    };
    if (r.outcome.ok)
      this.#add({
        type: "step-succeeded",
        ...base,
        outputJson: r.outcome.outputJson,
        files: r.changes,
        ...(s.cached ? { cached: true } : {}),
      });
    else if (wakeAt !== undefined)
      this.#add({ type: "step-retrying", ...base, error: r.outcome.error, wakeAt });
    else this.#add({ type: "step-failed", ...base, error: s.error ?? r.outcome.error });
  }

  /** Records a step that will not run (again): skipped, cancelled, or failed while it waited to retry. */
  closed(s: StepState, how: "skipped" | "cancelled" | "failed", error: SerializedError): void {
    const time = this.#clock.now();
    if (how === "failed")
      this.#add({
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
    else this.#add({ type: `step-${how}`, stepId: s.def.id, reason: error.message, error, time });
  }

  /** Records the end of the run; resolves once committed. */
  async finished(status: "succeeded" | "failed" | "cancelled", time: number): Promise<void> {
    if (this.#error) return;
    await this.durability.journal.add({ type: "run-finished", time, status }).catch((e) => this.#failed(e));
  }

  /**
   * The cache key of a cached step's attempt, or undefined when the step is not cached. A
   * step that names secrets never is: its result depends on values no store may hold.
   */
  cacheKey(s: StepState, task: StepTask): string | undefined {
    const cache = this.durability.cache;
    if (!cache || s.def.cacheTtl === undefined || s.def.wait || (s.def.secrets?.length ?? 0) > 0)
      return undefined;
    return cache.key(task);
  }

  /** A fresh cached result for `key` (a failed look-up is a miss). */
  lookup(key: string): Promise<CachedStep | undefined> {
    const cache = this.durability.cache;
    if (!cache) return Promise.resolve(undefined);
    return cache.lookup(key, this.#clock.now()).catch(() => undefined);
  }

  /** Keeps a success in the cache (best effort: the run does not depend on it). */
  keep(key: string, s: StepState, r: StepTaskResult): void {
    if (!r.outcome.ok) return;
    this.durability.cache
      ?.keep(key, s, {
        outputJson: r.outcome.outputJson,
        stdout: r.stdout,
        stderr: r.stderr,
        files: r.changes,
        createdAt: r.finishedAt,
      })
      .catch(() => undefined);
  }

  #add(entry: JournalEntry): void {
    this.durability.journal.add(entry).catch((e) => this.#failed(e));
  }

  /** The store could not be written: the run stops (it stays resumable) and fails with this error. */
  #failed(e: unknown): string {
    const message = `the run's store (${this.durability.journal.store.label}) could not be written: ${(e as Error)?.message ?? String(e)}`;
    if (!this.#error) {
      this.#error = new StoreError(message);
      this.#onFailure(message);
    }
    return message;
  }
}
