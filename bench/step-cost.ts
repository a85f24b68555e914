/**
 * Per-step worker cost: the CPU time the pool's worker threads spend per trivial step on a
 * warm engine, read from the kernel's per-thread accounting (/proc/PID/task/N/stat), so
 * it counts only time a thread really ran. A sampling profile (bench/profile.ts) counts
 * wall time between samples as busy, which on a shared machine includes time the thread
 * waited for a core, and inflates the figure two to four times.
 *
 * The engine is the product's: its workers run in the sandboxed pool process, with that
 * process's V8 flags (pool-child.ts). Node names worker threads "WorkerThread", V8's helper
 * threads (GC, compilers) "V8Worker"; the pool process's main thread is its IPC hop, and
 * this process's main thread the engine's host. Linux only; elsewhere the figures are gaps.
 */
import { readdirSync, readFileSync } from "node:fs";
import { childPids, makeEngine } from "./engines.js";
import type { Recorder } from "./recorder.js";
import { now } from "./util.js";
import { independentSteps, type WorkerLanguage } from "./workloads.js";

/** Settings of the per-step cost measure. */
export interface StepCostConfig {
  /** Steps per measured run, by language. */
  readonly steps: Readonly<Record<WorkerLanguage, number>>;
  readonly reps: number;
}

const SECTION = "Per-step worker cost";
/** USER_HZ: /proc counts CPU time in ticks of 10 ms on Linux. */
const TICK_MS = 10;

interface ThreadCpu {
  readonly name: string;
  readonly ms: number;
}

/** CPU milliseconds of each thread of process `pid`, by thread id; undefined where /proc is missing. */
export function threadCpu(pid: number = process.pid): Map<string, ThreadCpu> | undefined {
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return undefined;
  }
  const out = new Map<string, ThreadCpu>();
  for (const tid of tids) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, "utf8");
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

type Group = "workers" | "main" | "helpers";

/** CPU milliseconds each group of process `pid`'s threads spent between two readings. */
function spent(
  pid: number,
  before: Map<string, ThreadCpu>,
  after: Map<string, ThreadCpu>,
): Record<Group, number> {
  const sums: Record<Group, number> = { workers: 0, main: 0, helpers: 0 };
  for (const [tid, t] of after) {
    const ms = t.ms - (before.get(tid)?.ms ?? 0);
    sums[tid === String(pid) ? "main" : t.name === "WorkerThread" ? "workers" : "helpers"] += ms;
  }
  return sums;
}

/** Per-step CPU of each group of threads, by figure key suffix and label. */
const FIGURES = [
  ["", "worker CPU per trivial LANG step (thread CPU time)"],
  [".pool_main", "pool process's main thread CPU per trivial LANG step (the IPC hop)"],
  [".pool_helpers", "pool process's V8 helper threads' CPU per trivial LANG step (GC, compilers)"],
  [".main", "host main thread CPU per trivial LANG step (the engine)"],
  [".helpers", "host V8 helper threads' CPU per trivial LANG step (GC, compilers)"],
  [".total", "CPU per trivial LANG step, all threads of both processes"],
] as const;

/** Worker CPU per trivial step for Python, Lua, shell and JavaScript (one warm engine per language). */
export async function benchStepCost(rec: Recorder, cfg: StepCostConfig): Promise<void> {
  for (const language of ["python", "lua", "shell", "javascript"] as const) {
    const key = `stepcost.${language}`;
    const label = (text: string) => text.replace("LANG", language);
    if (!threadCpu()) {
      rec.gap(key, SECTION, label(FIGURES[0][1]), "us", "no /proc/self/task on this system");
      continue;
    }
    const n = cfg.steps[language];
    const workflow = independentSteps(n, language);
    const before = new Set(childPids());
    const engine = makeEngine();
    const perStep: number[][] = FIGURES.map(() => []);
    const rates: number[] = [];
    try {
      await engine.prepare(workflow);
      const pool = childPids().find((pid) => !before.has(pid));
      if (pool === undefined) throw new Error("the engine started no pool process");
      await engine.run(workflow, { concurrency: 256 }); // warm-up: wasm tiered up, caches filled
      for (let r = 0; r < cfg.reps; r++) {
        const poolBefore = threadCpu(pool) as Map<string, ThreadCpu>;
        const hostBefore = threadCpu() as Map<string, ThreadCpu>;
        const t0 = now();
        const report = await engine.run(workflow, { concurrency: 256 });
        const ms = now() - t0;
        const p = spent(pool, poolBefore, threadCpu(pool) as Map<string, ThreadCpu>);
        const h = spent(process.pid, hostBefore, threadCpu() as Map<string, ThreadCpu>);
        if (report.status !== "succeeded") throw new Error(`${workflow.name}: ${report.status}`);
        const groups = [p.workers, p.main, p.helpers, h.main, h.helpers + h.workers];
        groups.push(groups.reduce((a, b) => a + b, 0));
        for (const [i, msSpent] of groups.entries()) perStep[i]?.push((msSpent * 1000) / n);
        rates.push((n / ms) * 1000);
      }
    } finally {
      await engine.close();
    }
    const note = `${n} steps on 2 worker threads in the pool process; CPU ticks of ${TICK_MS} ms`;
    for (const [i, [suffix, text]] of FIGURES.entries())
      rec.add(`${key}${suffix}`, SECTION, label(text), perStep[i] ?? [], "us", i === 0 ? note : undefined);
    rec.add(`${key}.rate`, SECTION, `${n} trivial ${language} steps (measured runs)`, rates, "steps/s");
  }
}
