/**
 * Workload 2: the floors under a step, measured in the same run as the engine: a
 * worker_threads round trip, an empty piscina task, a trivial step called on each runtime
 * inside a warm worker (no dispatch), the same through the worker's dispatcher (no
 * messages), and the host side alone (scheduler; scheduler + BatchingPool) with no workers.
 */
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import { Piscina } from "piscina";
import { BUSYBOX_WASM } from "../src/node/package-paths.js";
import { ensurePyodideSnapshot } from "../src/node/pyodide-snapshot.js";
import { defaultCacheDir } from "../src/node.js";
import { CORES } from "./engines.js";
import type { FloorRequest, FloorWorkerData } from "./floor-worker.js";
import { engineOver, engineOverInstantTransport, InstantStepPool } from "./instant-pool.js";
import type { Recorder } from "./recorder.js";
import { DIST_BENCH, now, repeat } from "./util.js";
import { type BenchLanguage, independentSteps } from "./workloads.js";

/** Settings of the floors. */
export interface FloorConfig {
  readonly messages: number;
  readonly blocks: number;
  readonly iterations: Readonly<Record<BenchLanguage, number>>;
  readonly hostSteps: number;
  readonly reps: number;
}

const SECTION = "Floors";

async function startWorker(mode: FloorWorkerData["mode"]): Promise<Worker> {
  const data: FloorWorkerData = {
    mode,
    pyodideSnapshotPath: await ensurePyodideSnapshot(defaultCacheDir()),
    busyboxWasmPath: BUSYBOX_WASM,
  };
  const worker = new Worker(join(DIST_BENCH, "floor-worker.js"), { workerData: data });
  await new Promise<void>((resolve, reject) => {
    worker.once("error", reject);
    worker.once("message", () => resolve());
  });
  return worker;
}

interface FloorReply {
  readonly samples: number[];
  /** Linear memory of the interpreter (runtimes mode). */
  readonly wasmBytes?: number;
}

/** Sends one request and waits for the first reply carrying samples (other messages are skipped). */
function ask(worker: Worker, req: FloorRequest): Promise<FloorReply> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: Partial<FloorReply>) => {
      if (!m.samples) return;
      worker.off("message", onMessage);
      resolve(m as FloorReply);
    };
    worker.on("message", onMessage);
    worker.once("error", reject);
    worker.postMessage(req);
  });
}

/** Round trips to an echo worker, one after another; microseconds per trip. */
function roundTrips(worker: Worker, count: number): Promise<number> {
  return new Promise((resolve) => {
    let left = count;
    const t0 = now();
    const onMessage = () => {
      if (--left > 0) worker.postMessage(left);
      else {
        worker.off("message", onMessage);
        resolve(((now() - t0) * 1000) / count);
      }
    };
    worker.on("message", onMessage);
    worker.postMessage(left);
  });
}

/** Messages to an echo worker, all sent at once; messages per second. */
function pipelinedMessages(worker: Worker, count: number): Promise<number> {
  return new Promise((resolve) => {
    let left = count;
    const t0 = now();
    const onMessage = () => {
      if (--left > 0) return;
      worker.off("message", onMessage);
      resolve((count / (now() - t0)) * 1000);
    };
    worker.on("message", onMessage);
    for (let i = 0; i < count; i++) worker.postMessage(i);
  });
}

async function messaging(rec: Recorder, cfg: FloorConfig): Promise<void> {
  const worker = await startWorker("echo");
  await roundTrips(worker, 200);
  const trip = await repeat(cfg.blocks, () => roundTrips(worker, cfg.messages));
  rec.add("floor.worker_roundtrip", SECTION, "worker_threads round trip (sequential)", trip, "us");
  const piped = await repeat(cfg.blocks, () => pipelinedMessages(worker, cfg.messages * 5));
  rec.add("floor.worker_pipelined", SECTION, "worker_threads messages, all sent at once", piped, "msgs/s");
  await worker.terminate();
  const piscina = new Piscina({
    filename: join(DIST_BENCH, "empty-task.js"),
    minThreads: CORES,
    maxThreads: CORES,
    idleTimeout: Number.POSITIVE_INFINITY,
  });
  await Promise.all(Array.from({ length: 200 }, () => piscina.run(null)));
  const task = await repeat(cfg.blocks, async () => {
    const t0 = now();
    for (let i = 0; i < cfg.messages; i++) await piscina.run(null);
    return ((now() - t0) * 1000) / cfg.messages;
  });
  rec.add("floor.piscina_task", SECTION, "piscina empty task (sequential)", task, "us");
  const tasks = await repeat(cfg.blocks, async () => {
    const t0 = now();
    await Promise.all(Array.from({ length: cfg.messages }, () => piscina.run(null)));
    return (cfg.messages / (now() - t0)) * 1000;
  });
  rec.add(
    "floor.piscina_pipelined",
    SECTION,
    `piscina empty tasks, all queued (${CORES} threads)`,
    tasks,
    "tasks/s",
  );
  await piscina.close();
}

async function inWorker(rec: Recorder, cfg: FloorConfig): Promise<void> {
  const perStep: Partial<Record<BenchLanguage, number>> = {};
  for (const mode of ["runtimes", "dispatcher"] as const) {
    const worker = await startWorker(mode);
    try {
      for (const language of ["python", "lua", "shell"] as const) {
        const reply = await ask(worker, {
          language,
          iterations: cfg.iterations[language],
          blocks: cfg.blocks,
        });
        const label =
          mode === "runtimes"
            ? `trivial ${language} step, runtime.run in a warm worker`
            : `trivial ${language} step, worker dispatcher (batch, no messages)`;
        const v = rec.add(`floor.${mode}.${language}`, SECTION, label, reply.samples, "us");
        if (reply.wasmBytes !== undefined)
          rec.add(
            `memory.wasm.${language}`,
            "Memory",
            `wasm linear memory of one warm ${language} interpreter`,
            reply.wasmBytes / 1048576,
            "MB",
            "measured in the floors' worker",
          );
        if (mode === "dispatcher") perStep[language] = v;
      }
    } finally {
      await worker.terminate();
    }
  }
  const mean = ((perStep.python ?? 0) + (perStep.lua ?? 0) + (perStep.shell ?? 0)) / 3;
  rec.add(
    "floor.ceiling_mixed",
    SECTION,
    `ceiling of mixed steps on ${CORES} workers (from the dispatcher cost)`,
    (CORES * 1e6) / mean,
    "steps/s",
    "no messages, no host: what the workers alone could do",
  );
}

async function hostSide(rec: Recorder, cfg: FloorConfig): Promise<void> {
  const workflow = independentSteps(cfg.hostSteps, "mixed");
  const scheduler = await repeat(cfg.reps, async () => {
    const engine = engineOver(new InstantStepPool(CORES), CORES);
    const t0 = now();
    await engine.run(workflow, { concurrency: 256 });
    return (cfg.hostSteps / (now() - t0)) * 1000;
  });
  rec.add(
    "floor.host_scheduler",
    SECTION,
    `${cfg.hostSteps} steps, core scheduler over an instant in-process pool`,
    scheduler,
    "steps/s",
  );
  const batching = await repeat(cfg.reps, async () => {
    const engine = engineOverInstantTransport(CORES);
    const t0 = now();
    await engine.run(workflow, { concurrency: 256 });
    const ms = now() - t0;
    await engine.close();
    return (cfg.hostSteps / ms) * 1000;
  });
  rec.add(
    "floor.host_batching",
    SECTION,
    `${cfg.hostSteps} steps, scheduler + BatchingPool over an instant in-process transport`,
    batching,
    "steps/s",
  );
}

/** Every floor, in this process and in worker threads of it. */
export async function benchFloors(rec: Recorder, cfg: FloorConfig): Promise<void> {
  await messaging(rec, cfg);
  await inWorker(rec, cfg);
  await hostSide(rec, cfg);
}
