/**
 * The soak in a fresh process: `runs` runs of `runSteps` trivial mixed steps through one
 * engine, the RSS of this process (the host) and of its pool process read after each run.
 * Prints one JSON object on stdout. The bench starts it with the heap flag a long-lived
 * host is advised to use (README, Performance: `--max-semi-space-size=8`).
 *
 *   node --max-semi-space-size=8 --expose-gc dist/bench/soak-child.js RUNS RUN_STEPS CONCURRENCY WARMUP_RUNS
 *
 * After the warm-up and at the end (after RSS is read) the host's live heap is measured after
 * a full GC: RSS also holds garbage V8 has not collected yet, and the live heap tells a leak
 * from a heap V8 let grow.
 * The engine records runs in a memory store that keeps the last WARMUP_RUNS finished runs (the
 * runs of the warm-up): its default of 100 runs of 2,000 steps fills for 100 runs, which a
 * soak shorter than that would count as growth although it is bounded.
 */
import { MemoryStore } from "../src/index.js";
import { childPids, failureText, makeEngine, rssOfPidMb } from "./engines.js";
import { now } from "./util.js";
import { independentSteps } from "./workloads.js";

/** What the child prints: per run, steps/s and RSS in MB. */
export interface SoakSample {
  readonly rates: number[];
  readonly hostMb: number[];
  readonly poolMb: number[];
  /** The host's JavaScript heap in use after the last run (MB). */
  readonly hostHeapMb: number;
  /** The host's live heap (MB, after a full GC) after the warm-up and after the last run. */
  readonly liveHeapMb: readonly [number, number];
}

const runs = Number(process.argv[2] ?? 50);
const runSteps = Number(process.argv[3] ?? 2000);
const concurrency = Number(process.argv[4] ?? 256);
const warmupRuns = Number(process.argv[5] ?? 1);

const workflow = independentSteps(runSteps, "mixed");
const before = new Set(childPids());
const engine = makeEngine({ store: new MemoryStore({ maxFinishedRuns: warmupRuns }) });
const live = () => {
  (globalThis as { gc?: () => void }).gc?.();
  return process.memoryUsage().heapUsed / 1048576;
};
const sample = { rates: [], hostMb: [], poolMb: [], hostHeapMb: 0, liveHeapMb: [0, 0] } as {
  -readonly [K in keyof SoakSample]: SoakSample[K];
};
try {
  await engine.prepare(workflow);
  for (let i = 0; i < runs; i++) {
    const t0 = now();
    const report = await engine.run(workflow, { concurrency });
    if (report.status !== "succeeded") throw new Error(failureText(report));
    sample.rates.push((runSteps / (now() - t0)) * 1000);
    sample.hostMb.push(process.memoryUsage().rss / 1048576);
    const pool = childPids().filter((pid) => !before.has(pid));
    sample.poolMb.push(pool.reduce((sum, pid) => sum + (rssOfPidMb(pid) || 0), 0));
    if (i === warmupRuns - 1) sample.liveHeapMb = [live(), 0];
  }
  sample.hostHeapMb = process.memoryUsage().heapUsed / 1048576;
  sample.liveHeapMb = [sample.liveHeapMb[0], live()];
} finally {
  await engine.close();
}
process.stdout.write(`${JSON.stringify(sample)}\n`);
