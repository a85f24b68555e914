/**
 * When a step counts as started, and how a retry waits: against a pool with one worker and
 * a queue (as the real pool behaves when a run allows more steps at once than it has
 * workers), which calls onStart when its worker takes an attempt.
 */
import { describe, expect, it } from "vitest";
import { Engine } from "../../src/core/engine.js";
import type { RunEvent } from "../../src/core/events.js";
import { resolveEngineOptions } from "../../src/core/options.js";
import type { StepPool, StepRunOptions, StepTask, StepTaskResult } from "../../src/core/step-pool.js";
import { timerClock } from "../../src/core/system-clock.js";
import { parseWorkflowOrThrow } from "../../src/core/validate.js";

interface Job {
  readonly task: StepTask;
  readonly options: StepRunOptions;
  readonly resolve: (r: StepTaskResult) => void;
  readonly queuedAt: number;
}

/** One worker, FIFO: each attempt runs `ms(task)` milliseconds and fails while `fails(task)`. */
class OneWorkerPool implements StepPool {
  readonly threads = 1;
  readonly log: { stepId: string; attempt: number; queuedAt: number; start: number; end: number }[] = [];
  readonly #queue: Job[] = [];
  #b = false;
  constructor(
    private readonly ms: (task: StepTask) => number,
    private readonly fails: (task: StepTask) => boolean,
  ) {}

  run(task: StepTask, options: StepRunOptions = {}): Promise<StepTaskResult> {
    return new Promise((resolve) => {
      this.#queue.push({ task, options, resolve, queuedAt: Date.now() });
      this.#next();
    });
  }

  #next(): void {
    const job = this.#queue.shift();
    if (this.#b || !job) {
      if (job) this.#queue.unshift(job);
      return;
    }
    this.#b = true;
    const start = Date.now();
    job.options.onStart?.(start);
    setTimeout(() => {
      const end = Date.now();
      const { stepId, attempt } = job.task;
      this.log.push({ stepId, attempt, queuedAt: job.queuedAt, start, end });
      this.#b = false;
      // As a real worker: the next attempt starts after this result has been posted.
      setTimeout(() => this.#next(), 0);
      job.resolve({
        outcome: this.fails(job.task)
          ? { ok: false, error: { name: "StepRuntimeError", message: "not yet" } }
          : { ok: true, outputJson: "1" },
        changes: { upserts: {}, deletes: [] },
        stdout: "",
        stderr: "",
        startedAt: start,
        finishedAt: end,
      });
    }, this.ms(job.task));
  }

  async prepare(): Promise<void> {}
  async close(): Promise<void> {}
}

function engineWith(pool: StepPool, concurrency: number): Engine {
  return new Engine(
    { pool, clock: timerClock(globalThis, () => Date.now()), newId: () => "run" },
    resolveEngineOptions({ concurrency, threads: 1 }, 1),
  );
}

const workflow = parseWorkflowOrThrow({
  name: "queued",
  steps: {
    a_flaky: { code: "x", retries: 1, retry_delay: 0.1 },
    b1: { code: "x" },
    b2: { code: "x" },
    b3: { code: "x" },
  },
});
const ms = (t: StepTask) => (t.stepId === "a_flaky" ? 10 : 80);
const fails = (t: StepTask) => t.stepId === "a_flaky" && t.attempt === 1;

describe("step-started and retries with more steps at once than workers", () => {
  it("tells step-started when the worker takes the attempt, not when it is queued", async () => {
    const pool = new OneWorkerPool(ms, fails);
    const events: RunEvent[] = [];
    const report = await engineWith(pool, 4).run(workflow, { onEvent: (e) => events.push(e) });
    expect(report.status).toBe("succeeded");
    let running = 0;
    for (const e of events) {
      if (e.type === "step-started") running++;
      if (e.type === "step-succeeded" || e.type === "step-failed" || e.type === "step-retrying") running--;
      expect(running).toBeLessThanOrEqual(1);
    }
    for (const run of pool.log) {
      const started = events.find(
        (e) => e.type === "step-started" && e.stepId === run.stepId && e.attempt === run.attempt,
      );
      expect(started?.time).toBe(run.start);
    }
  });

  it("a retry waits its delay, then queues behind the steps already waiting; the worker never idles", async () => {
    const pool = new OneWorkerPool(ms, fails);
    const events: RunEvent[] = [];
    await engineWith(pool, 1).run(workflow, { onEvent: (e) => events.push(e) });
    const retrying = events.find((e) => e.type === "step-retrying");
    const second = pool.log.find((r) => r.stepId === "a_flaky" && r.attempt === 2);
    if (retrying?.type !== "step-retrying" || !second) throw new Error("expected a retry");
    expect(retrying.delayMs).toBe(100);
    // Not before its delay; it then waits for the slot b1, b2 and b3 hold in turn.
    expect(second.start - retrying.time).toBeGreaterThanOrEqual(95);
    expect(pool.log.map((r) => `${r.stepId}#${r.attempt}`)).toEqual([
      "a_flaky#1",
      "b1#1",
      "b2#1",
      "b3#1",
      "a_flaky#2",
    ]);
    // The delay ran while the slot was b: no gap between attempts beyond timer jitter.
    for (let i = 1; i < pool.log.length; i++) {
      expect((pool.log[i]?.start ?? 0) - (pool.log[i - 1]?.end ?? 0)).toBeLessThan(30);
    }
  });

  it("with a free slot, a retry starts right after its delay", async () => {
    const pool = new OneWorkerPool(ms, fails);
    const events: RunEvent[] = [];
    const lone = parseWorkflowOrThrow({ steps: { a_flaky: { code: "x", retries: 1, retry_delay: 0.1 } } });
    await engineWith(pool, 1).run(lone, { onEvent: (e) => events.push(e) });
    const retrying = events.find((e) => e.type === "step-retrying");
    const started = events.filter((e) => e.type === "step-started");
    expect(started).toHaveLength(2);
    const wait = (started[1]?.time ?? 0) - (retrying?.time ?? 0);
    expect(wait).toBeGreaterThanOrEqual(95);
    expect(wait).toBeLessThan(150);
  });
});
