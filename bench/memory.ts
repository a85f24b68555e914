/**
 * Workload 8: resident memory per worker with each runtime loaded. Each figure comes from
 * fresh processes (bench/memory-child.ts) with workers in threads: the per-worker cost is
 * the RSS difference between engines of 2 and 1 workers after a step ran (the price of one
 * more worker), and the whole cost of a 1-worker engine over the bare process is kept too.
 */
import type { Isolation } from "./engines.js";
import type { MemorySample } from "./memory-child.js";
import type { Recorder } from "./recorder.js";
import { repeat, runBenchChild } from "./util.js";
import type { WorkerLanguage } from "./workloads.js";

/** Settings of the memory test. */
export interface MemoryConfig {
  readonly reps: number;
  /** Also measure the pool process of an isolation "process" engine (when it exists). */
  readonly processPool: boolean;
}

const SECTION = "Memory";

function sample(language: WorkerLanguage, threads: number, isolation: Isolation): Promise<MemorySample> {
  return runBenchChild<MemorySample>("memory-child", [language, String(threads), isolation], ["--expose-gc"]);
}

/** RSS per worker for each language. */
export async function benchMemory(
  rec: Recorder,
  cfg: MemoryConfig,
  processWorks: boolean,
  languages: readonly WorkerLanguage[],
): Promise<void> {
  for (const language of languages) {
    const one = await repeat(cfg.reps, () => sample(language, 1, "thread"));
    const two = await repeat(cfg.reps, () => sample(language, 2, "thread"));
    const perWorker = one.map((s, i) => (two[i] as MemorySample).afterStep - s.afterStep);
    rec.add(
      `memory.per_worker.${language}`,
      SECTION,
      `RSS per ${language} worker (2-worker minus 1-worker engine, after a step)`,
      perWorker,
      "MB",
      "measured 2 s after the run, once the worker has replaced the run's interpreter",
    );
    rec.add(
      `memory.engine1.${language}`,
      SECTION,
      `RSS of a 1-worker ${language} engine over the bare process`,
      one.map((s) => s.afterStep - s.beforeEngine),
      "MB",
      `idle worker (no interpreter): ${Math.round((one[0]?.idleWorkers ?? 0) - (one[0]?.beforeEngine ?? 0))} MB; after prepare: ${Math.round((one[0]?.prepared ?? 0) - (one[0]?.beforeEngine ?? 0))} MB`,
    );
  }
  if (!cfg.processPool) return;
  const label = "RSS of the pool process, 2 Python workers (isolation process)";
  if (!processWorks) {
    rec.gap("memory.process_pool.python", SECTION, label, "MB", "isolation option not in this build yet");
    return;
  }
  const samples = await repeat(cfg.reps, () => sample("python", 2, "process"));
  rec.add(
    "memory.process_pool.python",
    SECTION,
    label,
    samples.map((s) => s.afterStep),
    "MB",
  );
}
