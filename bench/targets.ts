/**
 * The performance targets, held here (not in unit tests): each is checked against the
 * figures of the same benchmark run and marked met or missed with the figure.
 */
import type { Recorder } from "./recorder.js";
import { round } from "./util.js";

/** One target and how this run did. */
export interface TargetResult {
  readonly target: string;
  readonly figure: number | null;
  readonly unit: string;
  readonly threshold: string;
  /** null when the figure was not measured. */
  readonly met: boolean | null;
  readonly from: string;
}

/** Largest growth exponent still called linear (noise and GC on a shared 2-core machine). */
export const LINEAR_EXPONENT = 1.2;

function check(
  target: string,
  figure: number | null,
  unit: string,
  threshold: string,
  pass: (v: number) => boolean,
  from: string,
): TargetResult {
  const value = figure === null || !Number.isFinite(figure) ? null : round(figure, 4);
  return { target, figure: value, unit, threshold, met: value === null ? null : pass(value), from };
}

/** Checks every target; `largest` is the biggest warm workflow size of the run. */
export function evaluateTargets(rec: Recorder, largest: number, cores: number): TargetResult[] {
  const shell = rec.get(`warm.shell.${largest}`);
  const bash = rec.get("baseline.shell");
  return [
    check(
      `warm trivial mixed steps per second (${cores} cores)`,
      rec.get(`warm.mixed.${largest}`),
      "steps/s",
      ">= 100000",
      (v) => v >= 100_000,
      `warm.mixed.${largest}`,
    ),
    check(
      "shell steps vs one bash process per step",
      shell !== null && bash !== null ? shell / bash : null,
      "x",
      ">= 10",
      (v) => v >= 10,
      `warm.shell.${largest} / baseline.shell`,
    ),
    check(
      "CPU-bound fan-out speedup at concurrency 2",
      rec.get("fanout.speedup"),
      "x",
      ">= 1.9",
      (v) => v >= 1.9,
      "fanout.speedup",
    ),
    check(
      "cold CLI to the first Python result (snapshot cached)",
      rec.get("cold.python.cached"),
      "ms",
      "<= 400",
      (v) => v <= 400,
      "cold.python.cached",
    ),
    check(
      "RSS per Python worker",
      rec.get("memory.per_worker.python"),
      "MB",
      "<= 100",
      (v) => v <= 100,
      "memory.per_worker.python",
    ),
    check(
      "SQLite store keeps the throughput of runs not recorded",
      rec.get("durable.sqlite_ratio"),
      "x",
      ">= 0.7",
      (v) => v >= 0.7,
      "durable.sqlite_ratio",
    ),
    check(
      "sandflow run --server: 3 Python steps end to end",
      rec.get("server.run_ms"),
      "ms",
      "<= 150",
      (v) => v <= 150,
      "server.run_ms",
    ),
    check(
      "for_each over 10,000 trivial Lua items vs 10,000 independent steps",
      rec.get("foreach.ratio"),
      "x",
      ">= 0.8",
      (v) => v >= 0.8,
      "foreach.ratio",
    ),
    check(
      "scheduling overhead linear in steps (growth exponent)",
      rec.get("scale.schedule_exponent"),
      "",
      `<= ${LINEAR_EXPONENT}`,
      (v) => v <= LINEAR_EXPONENT,
      "scale.schedule_exponent",
    ),
  ];
}
