/**
 * The soak in a fresh process: `runs` runs of `runSteps` trivial mixed steps through one
 * engine, the RSS of this process (the host) and of its pool process read after each run.
 * Prints one JSON object on stdout. The bench starts it with the heap flag a long-lived
 * host is advised to use (README, Performance: `--max-semi-space-size=8`).
 *
 *   node --max-semi-space-size=8 dist/bench/soak-child.js RUNS RUN_STEPS CONCURRENCY
 */
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
}

const runs = Number(process.argv[2] ?? 50);
const runSteps = Number(process.argv[3] ?? 2000);
const concurrency = Number(process.argv[4] ?? 256);

const workflow = independentSteps(runSteps, "mixed");
const before = new Set(childPids());
const engine = makeEngine();
const sample = { rates: [], hostMb: [], poolMb: [], hostHeapMb: 0 } as {
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
  }
  sample.hostHeapMb = process.memoryUsage().heapUsed / 1048576;
} finally {
  await engine.close();
}
process.stdout.write(`${JSON.stringify(sample)}\n`);
