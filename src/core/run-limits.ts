/**
 * Limits across runs: `concurrency_key` with `max_runs` (at most N runs with the same key at
 * once; the others queue, first come first served within an engine, and through the store
 * across the processes sharing it) and rate limits of one engine
 * (engine option `rateLimits: { key: "n/s" }`, step field `rate_limit_key`: at most n step
 * attempts with that key start per second, minute or hour; the others wait without a worker).
 */
import type { CancelSignal, Clock } from "./platform.js";
import {
  type StepPool,
  type StepRunOptions,
  type StepTask,
  type StepTaskResult,
  withRun,
} from "./step-pool.js";
import type { WorkflowDefinition } from "./workflow.js";

/** `"<n>/<s|m|h>"`: n per second, minute or hour. */
export const RATE_PATTERN = /^([1-9]\d{0,6})\/(s|m|h)$/;
const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000 } as const;

/** A rate limit: `count` starts per `windowMs`. */
export interface Rate {
  readonly count: number;
  readonly windowMs: number;
}

/** Parses `"10/s"`; undefined when it is not a rate. */
export function parseRate(text: string): Rate | undefined {
  const m = RATE_PATTERN.exec(text);
  if (!m) return undefined;
  return { count: Number(m[1]), windowMs: UNIT_MS[m[2] as keyof typeof UNIT_MS] };
}

/**
 * Checks the engine option `rateLimits`.
 * @throws TypeError naming the bad entry.
 */
export function checkRateLimits(value: unknown): ReadonlyMap<string, Rate> {
  const out = new Map<string, Rate>();
  if (value === undefined) return out;
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw new TypeError('options.rateLimits must be an object of key to "<n>/<s|m|h>"');
  for (const [key, text] of Object.entries(value)) {
    const rate = typeof text === "string" ? parseRate(text) : undefined;
    if (!rate)
      throw new TypeError(
        `options.rateLimits.${key} must be "<n>/<s|m|h>" such as "10/s", got ${JSON.stringify(text)}`,
      );
    out.set(key, rate);
  }
  return out;
}

/** Queues runs by concurrency key: at most `max` at once per key. */
export class RunAdmission {
  readonly #running = new Map<string, number>();
  readonly #waiting = new Map<string, Array<() => void>>();

  /**
   * Resolves when the run may start (or is cancelled while queued); the function releases its
   * place. `onQueued` is called first when the run has to wait for a place.
   */
  async acquire(key: string, max: number, signal: CancelSignal, onQueued?: () => void): Promise<() => void> {
    if ((this.#running.get(key) ?? 0) >= max && !signal.aborted) {
      onQueued?.();
      await new Promise<void>((resolve) => {
        const queue = this.#waiting.get(key) ?? [];
        this.#waiting.set(key, queue);
        const go = () => {
          signal.removeEventListener("abort", leave);
          resolve();
        };
        const leave = () => {
          const i = queue.indexOf(go);
          if (i >= 0) queue.splice(i, 1);
          resolve();
        };
        queue.push(go);
        signal.addEventListener("abort", leave, { once: true });
      });
      if (signal.aborted) return () => {};
    }
    this.#running.set(key, (this.#running.get(key) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#running.set(key, (this.#running.get(key) ?? 1) - 1);
      this.#waiting.get(key)?.shift()?.();
    };
  }
}

/** Milliseconds between two asks of a shared store for a place under a `concurrency_key`. */
export const ADMISSION_POLL_MS = 500;

/**
 * Waits until a store that several processes share gives `runId` a place among the runs of
 * `key` (the runs of every process on the store count against `max`), asking again every
 * {@link ADMISSION_POLL_MS}; returns early when `signal` aborts. `onQueued` is called before
 * the first wait. A store that fails to answer lets the run in: its journal writes then fail
 * where they are reported, instead of the run waiting for good.
 */
export async function admitAcrossProcesses(
  admit: (runId: string, key: string, max: number) => Promise<boolean>,
  run: { readonly runId: string; readonly key: string; readonly max: number },
  clock: Clock,
  signal: CancelSignal,
  onQueued: () => void,
): Promise<void> {
  for (let first = true; !signal.aborted; first = false) {
    const admitted = await admit(run.runId, run.key, run.max).catch(() => true);
    if (admitted) return;
    if (first) onQueued();
    await clock.sleep(ADMISSION_POLL_MS, signal);
  }
}

/** Start times of the attempts each rate-limited key let through, within its window. */
export class RateLimiter {
  readonly #rates: ReadonlyMap<string, Rate>;
  readonly #clock: Clock;
  readonly #starts = new Map<string, number[]>();
  #chain = new Map<string, Promise<void>>();

  constructor(rates: ReadonlyMap<string, Rate>, clock: Clock) {
    this.#rates = rates;
    this.#clock = clock;
  }

  /** Whether `key` is limited. */
  has(key: string): boolean {
    return this.#rates.has(key);
  }

  /** Resolves when an attempt with `key` may start (in order of asking), or when cancelled. */
  take(key: string, signal: CancelSignal | undefined): Promise<void> {
    const rate = this.#rates.get(key);
    if (!rate) return Promise.resolve();
    const before = this.#chain.get(key) ?? Promise.resolve();
    const mine = before.then(async () => {
      const starts = this.#starts.get(key) ?? [];
      this.#starts.set(key, starts);
      for (;;) {
        const now = this.#clock.now();
        while (starts.length > 0 && (starts[0] as number) <= now - rate.windowMs) starts.shift();
        if (starts.length < rate.count || signal?.aborted) break;
        await this.#clock.sleep((starts[0] as number) + rate.windowMs - now, signal);
      }
      starts.push(this.#clock.now());
    });
    this.#chain.set(key, mine);
    return mine;
  }
}

/** The pool a run uses: a step with a `rate_limit_key` the engine limits starts when its rate allows. */
export function withRateLimits(pool: StepPool, workflow: WorkflowDefinition, limiter: RateLimiter): StepPool {
  const keys = new Map(
    workflow.steps.flatMap((s) =>
      s.rateLimitKey && limiter.has(s.rateLimitKey) ? [[s.id, s.rateLimitKey] as const] : [],
    ),
  );
  if (keys.size === 0) return pool;
  const run = async (task: StepTask, options: StepRunOptions = {}): Promise<StepTaskResult> => {
    const key = keys.get(task.stepId);
    if (key) await limiter.take(key, options.signal);
    return pool.run(task, options);
  };
  return withRun(pool, run);
}
