/**
 * Workload 4: parallel CPU-bound fan-out. Four Python steps of about 0.5 s each, run at
 * concurrency 1 and 2 on a two-worker engine; speedup = t1 / t2 (pairs measured back to back),
 * next to a plain-JS control of the same shape that shows what the shared machine allowed,
 * and a bare-Pyodide control (bench/pyodide-fanout-child.ts) that shows what wasm CPython
 * itself gets from two cores without the engine.
 */
import { Worker } from "node:worker_threads";
import { POOL_HEAP_FLAGS, POOL_WASM_FLAGS } from "../src/node/pool-child.js";
import { ensurePyodideSnapshot } from "../src/node/pyodide-snapshot.js";
import { defaultCacheDir } from "../src/node.js";
import { CORES, failureText, makeEngine, timedFreshRun } from "./engines.js";
import type { PyodideFanoutSamples } from "./pyodide-fanout-child.js";
import type { Recorder } from "./recorder.js";
import { median, now, runBenchChild } from "./util.js";
import { fanout } from "./workloads.js";

/** Settings of the fan-out. */
export interface FanoutConfig {
  readonly reps: number;
  readonly stepMs: number;
  readonly width: number;
}

const SECTION = "Parallel fan-out";

/**
 * Loop rounds for one step of about `targetMs` in a worker: three probe steps one after
 * another (the first runs before the wasm code is optimised), scaled by the fastest.
 */
async function calibrate(targetMs: number): Promise<{ iterations: number; stepMs: number }> {
  const probeIterations = 1_000_000;
  const engine = makeEngine({ threads: 1 });
  try {
    const probe = fanout(3, probeIterations);
    await engine.prepare(probe);
    const report = await engine.run(probe, { concurrency: 1 });
    if (report.status !== "succeeded") throw new Error(failureText(report));
    const ms = Math.min(...Object.values(report.steps).map((s) => s.durationMs ?? Number.POSITIVE_INFINITY));
    const iterations = Math.max(10_000, Math.round((probeIterations * targetMs) / ms));
    return { iterations, stepMs: (ms * iterations) / probeIterations };
  } finally {
    await engine.close();
  }
}

const SPIN = `const { parentPort } = require("node:worker_threads");
parentPort.on("message", (n) => {
  let x = 0;
  for (let i = 0; i < n; i++) x = (x * 31 + i) % 1000003;
  parentPort.postMessage(x);
});`;

/**
 * The control: the same fan-out as plain JavaScript loops in two worker threads. On a
 * machine shared with other work, this shows how much parallelism there was to get.
 */
async function plainFanout(width: number, targetMs: number, reps: number): Promise<number[]> {
  const workers = [0, 1].map(() => new Worker(SPIN, { eval: true }));
  const job = (w: Worker, n: number) =>
    new Promise<number>((resolve) => {
      w.once("message", resolve);
      w.postMessage(n);
    });
  try {
    const probe = 5_000_000;
    await job(workers[0] as Worker, probe);
    const t = now();
    await job(workers[0] as Worker, probe);
    const n = Math.round((probe * targetMs) / (now() - t));
    const lanes = async (count: number) => {
      let next = 0;
      const t0 = now();
      await Promise.all(
        workers.slice(0, count).map(async (w) => {
          while (next < width) {
            next++;
            await job(w, n);
          }
        }),
      );
      return now() - t0;
    };
    const ratios: number[] = [];
    for (let i = 0; i < reps; i++) ratios.push((await lanes(1)) / (await lanes(2)));
    return ratios;
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

/** Times the fan-out at concurrency 1 and 2 and records the speedup. */
export async function benchFanout(rec: Recorder, cfg: FanoutConfig): Promise<void> {
  const { iterations, stepMs } = await calibrate(cfg.stepMs);
  const workflow = fanout(cfg.width, iterations);
  const t1: number[] = [];
  const t2: number[] = [];
  const ratios: number[] = [];
  const control: number[] = [];
  const threads = Math.max(2, CORES);
  const bare: number[] = [];
  const snapshot = await ensurePyodideSnapshot(defaultCacheDir());
  for (let i = 0; i < cfg.reps; i++) {
    const one = (await timedFreshRun(workflow, 1, { threads })).ms;
    const two = (await timedFreshRun(workflow, 2, { threads })).ms;
    t1.push(one);
    t2.push(two);
    ratios.push(one / two);
    control.push(...(await plainFanout(cfg.width, cfg.stepMs, 1)));
    const b = await runBenchChild<PyodideFanoutSamples>(
      "pyodide-fanout-child",
      [snapshot, String(iterations), String(cfg.width), "1"],
      [...POOL_HEAP_FLAGS, ...POOL_WASM_FLAGS],
    );
    bare.push(...b.t1.map((ms, j) => ms / (b.t2[j] as number)));
  }
  const note = `${iterations} loop rounds per step, about ${Math.round(stepMs)} ms each`;
  rec.add("fanout.t1", SECTION, `${cfg.width} CPU-bound Python steps, concurrency 1`, t1, "ms", note);
  rec.add("fanout.t2", SECTION, `${cfg.width} CPU-bound Python steps, concurrency 2`, t2, "ms", note);
  rec.add(
    "fanout.control",
    SECTION,
    "control: the same fan-out as plain JS loops in 2 worker threads, t1/t2",
    control,
    "x",
    "how much parallelism the shared machine gave during this run",
  );
  rec.add(
    "fanout.bare_pyodide",
    SECTION,
    "control: the same steps in bare Pyodide (no engine) in 2 worker threads, t1/t2",
    bare,
    "x",
    "fresh interpreters from the same snapshot, the pool process's V8 flags: what wasm CPython gets from 2 cores here",
  );
  rec.add(
    "fanout.speedup",
    SECTION,
    "fan-out speedup t1/t2",
    ratios,
    "x",
    `median of pairs; t1/t2 of medians ${(median(t1) / median(t2)).toFixed(2)}`,
  );
  rec.add(
    "fanout.vs_control",
    SECTION,
    "fan-out speedup relative to the plain-JS control",
    ratios.map((r, i) => r / (control[i] as number)),
    "x",
    "1.0 = the engine got all the parallelism the machine gave",
  );
  rec.add(
    "fanout.vs_bare_pyodide",
    SECTION,
    "fan-out speedup relative to bare Pyodide",
    ratios.map((r, i) => r / (bare[i] as number)),
    "x",
    "1.0 = the engine got all the parallelism wasm CPython gets without it",
  );
}
