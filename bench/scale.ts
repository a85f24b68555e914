/**
 * Workload 7: validation and scheduling of random DAGs of 1,000 to 100,000 no-op steps,
 * each size in fresh processes (bench/scale-child.ts), and how time and memory grow: the
 * growth exponent k in time ~ n^k between the smallest and the largest size (1 = linear).
 */
import type { Recorder } from "./recorder.js";
import type { ScaleSample } from "./scale-child.js";
import { median, repeat, runBenchChild } from "./util.js";

/** Settings of the scale test. */
export interface ScaleConfig {
  readonly sizes: readonly number[];
  readonly reps: number;
}

const SECTION = "Scale (no interpreters)";

/** Exponent k of time ~ n^k between two sizes. */
export function growthExponent(n1: number, t1: number, n2: number, t2: number): number {
  return Math.log(t2 / t1) / Math.log(n2 / n1);
}

/** Validates and schedules each size `reps` times and records medians and growth. */
export async function benchScale(rec: Recorder, cfg: ScaleConfig): Promise<void> {
  const medians: { n: number; validate: number; schedule: number }[] = [];
  for (const n of cfg.sizes) {
    const samples = await repeat(cfg.reps, () =>
      runBenchChild<ScaleSample>("scale-child", [String(n)], ["--expose-gc"]),
    );
    const edges = samples[0]?.edges ?? 0;
    const v = rec.add(
      `scale.validate.${n}`,
      SECTION,
      `parseWorkflow, random DAG of ${n} steps (${edges} edges)`,
      samples.map((s) => s.validateMs),
      "ms",
    );
    const s = rec.add(
      `scale.schedule.${n}`,
      SECTION,
      `schedule ${n} steps, core Engine over an instant in-process pool`,
      samples.map((x) => x.scheduleMs),
      "ms",
      "concurrency 256",
    );
    rec.add(`scale.schedule_per_step.${n}`, SECTION, `scheduling per step, ${n} steps`, (s * 1000) / n, "us");
    rec.add(
      `scale.memory.${n}`,
      SECTION,
      `heap held by the validated workflow, ${n} steps`,
      samples.map((x) => x.validateHeapMb),
      "MB",
      `report after the run: ${median(samples.map((x) => x.reportHeapMb)).toFixed(1)} MB; peak RSS ${Math.round(median(samples.map((x) => x.peakRssMb)))} MB`,
    );
    medians.push({ n, validate: v, schedule: s });
  }
  const first = medians[0];
  const last = medians[medians.length - 1];
  if (first && last && last.n > first.n) {
    const span = `${first.n} -> ${last.n} steps`;
    rec.add(
      "scale.validate_exponent",
      SECTION,
      `validation growth exponent k (time ~ n^k), ${span}`,
      growthExponent(first.n, first.validate, last.n, last.validate),
      "",
    );
    rec.add(
      "scale.schedule_exponent",
      SECTION,
      `scheduling growth exponent k (time ~ n^k), ${span}`,
      growthExponent(first.n, first.schedule, last.n, last.schedule),
      "",
    );
  }
}
