/**
 * Workload 4: parallel CPU-bound fan-out. Four Python steps of about 0.5 s each, run at
 * concurrency 1 and 2 on a two-worker engine; speedup = t1 / t2 (pairs measured back to back).
 */
import { CORES, failureText, makeEngine, timedFreshRun } from "./engines.js";
import type { Recorder } from "./recorder.js";
import { median } from "./util.js";
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

/** Times the fan-out at concurrency 1 and 2 and records the speedup. */
export async function benchFanout(rec: Recorder, cfg: FanoutConfig): Promise<void> {
  const { iterations, stepMs } = await calibrate(cfg.stepMs);
  const workflow = fanout(cfg.width, iterations);
  const t1: number[] = [];
  const t2: number[] = [];
  const ratios: number[] = [];
  const threads = Math.max(2, CORES);
  for (let i = 0; i < cfg.reps; i++) {
    const one = (await timedFreshRun(workflow, 1, { threads })).ms;
    const two = (await timedFreshRun(workflow, 2, { threads })).ms;
    t1.push(one);
    t2.push(two);
    ratios.push(one / two);
  }
  const note = `${iterations} loop rounds per step, about ${Math.round(stepMs)} ms each`;
  rec.add("fanout.t1", SECTION, `${cfg.width} CPU-bound Python steps, concurrency 1`, t1, "ms", note);
  rec.add("fanout.t2", SECTION, `${cfg.width} CPU-bound Python steps, concurrency 2`, t2, "ms", note);
  rec.add(
    "fanout.speedup",
    SECTION,
    "fan-out speedup t1/t2",
    ratios,
    "x",
    `median of pairs; t1/t2 of medians ${(median(t1) / median(t2)).toFixed(2)}`,
  );
}
