/**
 * Engines for the benchmark: `createEngine` with a given worker isolation, a check that
 * process isolation really puts the workers in a child process, and "prepare, then time
 * one run" on a fresh engine (a later run on the same engine replaces the interpreters
 * first, which is not what "warm" means here).
 */
import { readdirSync, readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import type { WorkflowDefinition } from "../src/index.js";
import { createEngine, type Engine, type NodeEngineOptions, type RunReport } from "../src/node.js";
import { log, now } from "./util.js";

export type Isolation = "process" | "thread";

/** Options of {@link makeEngine}. */
export interface BenchEngineOptions {
  readonly threads?: number;
  readonly isolation?: Isolation;
  readonly cacheDir?: string;
  /** Where runs are recorded; default: the engine's default (a memory store). */
  readonly store?: NodeEngineOptions["store"];
}

/** Workers per engine in the benchmark: one per core, as the engine's default. */
export const CORES = availableParallelism();

/** `createEngine` with `isolation` set only when asked (older engines have no such option). */
export function makeEngine(options: BenchEngineOptions = {}): Engine {
  const engineOptions: NodeEngineOptions & { isolation?: Isolation } = {
    threads: options.threads ?? CORES,
    ...(options.isolation ? { isolation: options.isolation } : {}),
    ...(options.cacheDir ? { cacheDir: options.cacheDir } : {}),
    ...(options.store !== undefined ? { store: options.store } : {}),
  };
  return createEngine(engineOptions);
}

/** Pids of this process's direct children (Linux), to see where an engine's workers run. */
export function childPids(): number[] {
  const pids: number[] = [];
  try {
    for (const task of readdirSync(`/proc/${process.pid}/task`)) {
      const text = readFileSync(`/proc/${process.pid}/task/${task}/children`, "utf8").trim();
      if (text) pids.push(...text.split(/\s+/).map(Number));
    }
  } catch {
    // not Linux: unknown
  }
  return pids;
}

/** RSS in MB of a process by pid (Linux), or NaN. */
export function rssOfPidMb(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1]);
    return kb / 1024;
  } catch {
    return Number.NaN;
  }
}

/**
 * Whether `isolation: "process"` is implemented: an engine made with it starts a child
 * process once it has prepared a Lua workflow. Until the option exists it is ignored and
 * no child appears.
 */
export async function processIsolationWorks(probe: WorkflowDefinition): Promise<boolean> {
  const before = new Set(childPids());
  const engine = makeEngine({ threads: 1, isolation: "process" });
  try {
    await engine.prepare(probe);
    return childPids().some((pid) => !before.has(pid));
  } finally {
    await engine.close();
  }
}

/** One timed run on a freshly prepared engine. */
export interface TimedRun {
  readonly ms: number;
  readonly prepareMs: number;
  readonly report: RunReport;
}

/**
 * Runs that failed and were measured again: a trivial workflow should never fail, so each
 * one is an engine bug to report (the results list them).
 */
export const incidents: string[] = [];

/** Makes an engine, prepares `workflow`, times one `run`, closes the engine; retries a failed run twice. */
export async function timedFreshRun(
  workflow: WorkflowDefinition,
  concurrency: number,
  options: BenchEngineOptions = {},
): Promise<TimedRun> {
  for (let attempt = 1; ; attempt++) {
    const engine = makeEngine(options);
    try {
      const t0 = now();
      await engine.prepare(workflow);
      const t1 = now();
      const report = await engine.run(workflow, { concurrency });
      const ms = now() - t1;
      if (report.status === "succeeded") return { ms, prepareMs: t1 - t0, report };
      const text = failureText(report);
      incidents.push(`${new Date().toISOString()} attempt ${attempt}: ${text}`);
      log(`INCIDENT: ${text}`);
      if (attempt === 3) throw new Error(text);
    } finally {
      await engine.close();
    }
  }
}

/** The first failed step of a report, for error messages. */
export function failureText(report: RunReport): string {
  for (const [id, step] of Object.entries(report.steps)) {
    if (step.status !== "succeeded")
      return `${report.workflow}: step ${id} ${step.status}: ${step.error?.message}`;
  }
  return `${report.workflow}: ${report.status}`;
}
