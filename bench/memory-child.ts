/**
 * One memory measurement in a fresh process (run with --expose-gc): the process RSS
 * before an engine, with its idle workers, after `prepare` of one language, and after one
 * step ran (and its interpreter was replaced, as after every run). With isolation "process", the RSS of the pool's child process instead.
 * Prints one JSON object on stdout.
 *
 *   node --expose-gc dist/bench/memory-child.js LANGUAGE THREADS [thread|process]
 */
import { childPids, type Isolation, makeEngine, rssOfPidMb } from "./engines.js";
import { sleep } from "./util.js";
import { independentSteps, type WorkerLanguage } from "./workloads.js";

/** What the child prints (MB). */
export interface MemorySample {
  readonly language: WorkerLanguage;
  readonly threads: number;
  readonly isolation: Isolation;
  readonly beforeEngine: number;
  readonly idleWorkers: number;
  readonly prepared: number;
  readonly afterStep: number;
}

const language = (process.argv[2] ?? "python") as WorkerLanguage;
const threads = Number(process.argv[3] ?? 1);
const isolation = (process.argv[4] ?? "thread") as Isolation;
/** Time for the worker to replace the finished run's interpreter (Pyodide: ~0.5 s). */
const SETTLE_MS = 2000;
const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});

const before = new Set(childPids());
/** RSS of this process, or of the pool's child process when the workers live there. */
async function rss(): Promise<number> {
  gc();
  await sleep(300);
  gc();
  if (isolation === "thread") return process.memoryUsage().rss / 1048576;
  const pids = childPids().filter((pid) => !before.has(pid));
  return pids.reduce((sum, pid) => sum + rssOfPidMb(pid), 0);
}

const beforeEngine = process.memoryUsage().rss / 1048576;
const engine = makeEngine({ threads, isolation });
const workflow = independentSteps(1, language);
await sleep(700);
const idleWorkers = await rss();
await engine.prepare(workflow);
const prepared = await rss();
const report = await engine.run(workflow);
if (report.status !== "succeeded") throw new Error(`memory run of ${language}: ${report.status}`);
// A finished run's interpreters are replaced in the background: measure once that is done.
await sleep(SETTLE_MS);
const afterStep = await rss();
await engine.close();
const sample: MemorySample = { language, threads, isolation, beforeEngine, idleWorkers, prepared, afterStep };
process.stdout.write(`${JSON.stringify(sample)}\n`);
