/**
 * Stand-ins written for the benchmark, so the host side can be timed without any
 * interpreter: {@link InstantStepPool} completes every step at once (the core scheduler's
 * own overhead), and {@link InstantTransport} answers every batch at once (the scheduler
 * plus the real BatchingPool, without worker threads or messages).
 */
import { randomUUID } from "node:crypto";
import { Engine } from "../src/core/engine.js";
import { resolveEngineOptions } from "../src/core/options.js";
import type { StepPool, StepTask, StepTaskResult } from "../src/core/step-pool.js";
import { timerClock } from "../src/core/system-clock.js";
import { BatchingPool } from "../src/pool/batching-pool.js";
import type { SentRequest, WorkerTransport } from "../src/pool/transport.js";
import type { TaskResult, WorkerEvent, WorkerRequest, WorkerResponse } from "../src/protocol/messages.js";

const NO_CHANGES = { upserts: {}, deletes: [] };

/** A StepPool that resolves every step at once with the output `1` (benchmark only). */
export class InstantStepPool implements StepPool {
  readonly threads: number;
  calls = 0;

  constructor(threads = 2) {
    this.threads = threads;
  }

  run(_task: StepTask): Promise<StepTaskResult> {
    this.calls++;
    const t = Date.now();
    return Promise.resolve({
      outcome: { ok: true, outputJson: "1" },
      changes: NO_CHANGES,
      stdout: "",
      stderr: "",
      startedAt: t,
      finishedAt: t,
    });
  }

  async prepare(): Promise<void> {}

  async close(): Promise<void> {}
}

/** A WorkerTransport that answers each request at once, in this thread (benchmark only). */
export class InstantTransport implements WorkerTransport {
  readonly threads: number;

  constructor(threads = 2) {
    this.threads = threads;
  }

  send(request: WorkerRequest): SentRequest {
    let response: WorkerResponse;
    if (request.type === "prepare") response = { type: "prepared", languages: request.languages, loadMs: 0 };
    else if (request.type === "evaluate-workflow") {
      response = {
        type: "evaluated",
        result: { ok: false, error: { name: "Error", message: "not supported here" } },
      };
    } else {
      const t = Date.now();
      const results: TaskResult[] = request.tasks.map((_task, index) => ({
        index,
        outcome: { ok: true, outputJson: "1" },
        changes: NO_CHANGES,
        stdout: "",
        stderr: "",
        logEvents: 0,
        logTail: [],
        startedAt: t,
        finishedAt: t,
      }));
      response = { type: "batch-done", batchId: request.batchId, results };
    }
    // A macrotask, as a worker's answer would be, so batches can fill up meanwhile.
    return { response: new Promise((r) => setImmediate(() => r(response))), kill: () => {} };
  }

  onEvent(_listener: (event: WorkerEvent) => void): void {}

  async close(): Promise<void> {}
}

/** The core engine over a given pool, with the Node clock and ids. */
export function engineOver(pool: StepPool, threads = 2): Engine {
  return new Engine(
    { pool, clock: timerClock(globalThis, () => Date.now()), newId: () => randomUUID() },
    resolveEngineOptions({ threads }, threads),
  );
}

/** The engine over the real BatchingPool and an {@link InstantTransport}. */
export function engineOverInstantTransport(threads = 2): Engine {
  return engineOver(new BatchingPool(new InstantTransport(threads)), threads);
}
