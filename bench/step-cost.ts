/**
 * Per-step worker cost: the CPU time the pool's worker threads spend per trivial step on a
 * warm engine, read from the kernel's per-thread accounting (/proc/self/task/N/stat), so
 * it counts only time a thread really ran. A sampling profile (bench/profile.ts) counts
 * wall time between samples as busy, which on a shared machine includes time the thread
 * waited for a core, and inflates the figure two to four times.
 *
 * The workers run as threads of this process (isolation "thread": the same worker code as
 * the pool process runs); Node names them "WorkerThread", V8's helper threads (GC,
 * compilers) "V8Worker". Linux only; elsewhere the figures are gaps.
 */
import { readdirSync, readFileSync } from "node:fs";
import { makeEngine } from "./engines.js";
import type { Recorder } from "./recorder.js";
import { now } from "./util.js";
import { type BenchLanguage, independentSteps } from "./workloads.js";

/** Settings of the per-step cost measure. */
export interface StepCostConfig {
  /** Steps per measured run, by language. */
  readonly steps: Readonly<Record<BenchLanguage, number>>;
  readonly reps: number;
}

const SECTION = "Per-step worker cost";
/** USER_HZ: /proc counts CPU time in ticks of 10 ms on Linux. */
const TICK_MS = 10;

interface ThreadCpu {
  readonly name: string;
  readonly ms: number;
}

/** CPU milliseconds of each thread of this process, by thread id; undefined where /proc is missing. */
export function threadCpu(): Map<string, ThreadCpu> | undefined {
  let tids: string[];
  try {
    tids = readdirSync("/proc/self/task");
  } catch {
    return undefined;
  }
  const out = new Map<string, ThreadCpu>();
  for (const tid of tids) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/self/task/${tid}/stat`, "utf8");
    } catch {
      continue; // the thread ended
    }
    const close = stat.lastIndexOf(")");
    const fields = stat.slice(close + 2).split(" ");
    const ticks = Number(fields[11]) + Number(fields[12]); // utime + stime
    out.set(tid, { name: stat.slice(stat.indexOf("(") + 1, close), ms: ticks * TICK_MS });
  }
  return out;
}

/** CPU milliseconds each named group of threads spent between two readings. */
function spent(before: Map<string, ThreadCpu>, after: Map<string, ThreadCpu>): Record<string, number> {
  const sums: Record<string, number> = { workers: 0, main: 0, helpers: 0 };
  for (const [tid, t] of after) {
    const ms = t.ms - (before.get(tid)?.ms ?? 0);
    const group = tid === String(process.pid) ? "main" : t.name === "WorkerThread" ? "workers" : "helpers";
    sums[group] = (sums[group] ?? 0) + ms;
  }
  return sums;
}

/** Worker CPU per trivial step for Python, Lua and shell (one warm engine per language). */
export async function benchStepCost(rec: Recorder, cfg: StepCostConfig): Promise<void> {
  for (const language of ["python", "lua", "shell"] as const) {
    const key = `stepcost.${language}`;
    const label = `worker CPU per trivial ${language} step (thread CPU time)`;
    if (!threadCpu()) {
      rec.gap(key, SECTION, label, "us", "no /proc/self/task on this system");
      continue;
    }
    const n = cfg.steps[language];
    const workflow = independentSteps(n, language);
    const engine = makeEngine({ isolation: "thread" });
    const worker: number[] = [];
    const main: number[] = [];
    const helpers: number[] = [];
    const rates: number[] = [];
    try {
      await engine.prepare(workflow);
      await engine.run(workflow, { concurrency: 256 }); // warm-up: wasm tiered up, caches filled
      for (let r = 0; r < cfg.reps; r++) {
        const before = threadCpu() as Map<string, ThreadCpu>;
        const t0 = now();
        const report = await engine.run(workflow, { concurrency: 256 });
        const ms = now() - t0;
        const sums = spent(before, threadCpu() as Map<string, ThreadCpu>);
        if (report.status !== "succeeded") throw new Error(`${workflow.name}: ${report.status}`);
        worker.push(((sums.workers ?? 0) * 1000) / n);
        main.push(((sums.main ?? 0) * 1000) / n);
        helpers.push(((sums.helpers ?? 0) * 1000) / n);
        rates.push((n / ms) * 1000);
      }
    } finally {
      await engine.close();
    }
    const note = `${n} steps on 2 worker threads; CPU ticks of ${TICK_MS} ms`;
    rec.add(key, SECTION, label, worker, "us", note);
    rec.add(`${key}.main`, SECTION, `main thread CPU per trivial ${language} step`, main, "us");
    rec.add(
      `${key}.helpers`,
      SECTION,
      `V8 helper threads' CPU per trivial ${language} step (GC, compilers; the process's)`,
      helpers,
      "us",
    );
    rec.add(`${key}.rate`, SECTION, `${n} trivial ${language} steps (isolation "thread")`, rates, "steps/s");
  }
}
