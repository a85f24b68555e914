/**
 * Workload 1 and 9: warm throughput of trivial independent steps per language and mixed,
 * latency per hop of a chain, a second run on the same engine, concurrent runs, and warm mixed throughput
 * with workers in threads and in a child process, measured in the same run.
 */
import type { Engine, WorkflowDefinition } from "../src/node.js";
import {
  type BenchEngineOptions,
  childPids,
  type Isolation,
  makeEngine,
  processIsolationWorks,
  timedFreshRun,
} from "./engines.js";
import type { Recorder } from "./recorder.js";
import { now, repeat } from "./util.js";
import { chain, independentSteps, LANGUAGE_MIXES, type LanguageMix } from "./workloads.js";

/** Settings of the warm workloads. */
export interface WarmConfig {
  readonly sizes: readonly number[];
  readonly reps: number;
  readonly chainLength: number;
  readonly concurrency: number;
  /** Also time a second run on the same engine (interpreters replaced per run). */
  readonly rerun: boolean;
}

/** Where an engine made with `options` runs its workers, seen from the process tree. */
export async function workerPlacement(options: BenchEngineOptions): Promise<Isolation> {
  const before = new Set(childPids());
  const engine = makeEngine({ ...options, threads: 1 });
  try {
    await engine.prepare(independentSteps(1, "lua"));
    return childPids().some((pid) => !before.has(pid)) ? "process" : "thread";
  } finally {
    await engine.close();
  }
}

async function stepsPerSecond(
  mix: LanguageMix,
  n: number,
  cfg: WarmConfig,
  options: BenchEngineOptions,
): Promise<{ rates: number[]; prepareMs: number[] }> {
  const workflow = independentSteps(n, mix);
  const runs = await repeat(cfg.reps, () => timedFreshRun(workflow, cfg.concurrency, options));
  return { rates: runs.map((r) => (n / r.ms) * 1000), prepareMs: runs.map((r) => r.prepareMs) };
}

/** Warm throughput per language and size, chains, and a rerun, in the engine's default isolation. */
export async function benchWarm(rec: Recorder, cfg: WarmConfig): Promise<void> {
  const placement = await workerPlacement({});
  const where = `default isolation (workers in a ${placement === "process" ? "child process" : "thread of this process"})`;
  for (const n of cfg.sizes) {
    for (const mix of LANGUAGE_MIXES) {
      const { rates, prepareMs } = await stepsPerSecond(mix, n, cfg, {});
      rec.add(`warm.${mix}.${n}`, "Warm throughput", `${n} trivial ${mix} steps`, rates, "steps/s", where);
      if (n === cfg.sizes[0])
        rec.add(`prepare.${mix}`, "Warm throughput", `engine.prepare (${mix}, 2 workers)`, prepareMs, "ms");
    }
  }
  for (const mix of cfg.chainLength > 0 ? (["python", "lua", "shell"] as const) : []) {
    const workflow = chain(cfg.chainLength, mix);
    const runs = await repeat(cfg.reps, () => timedFreshRun(workflow, cfg.concurrency));
    rec.add(
      `chain.${mix}`,
      "Warm throughput",
      `chain of ${cfg.chainLength} ${mix} steps, per hop`,
      runs.map((r) => (r.ms * 1000) / cfg.chainLength),
      "us",
    );
  }
  if (cfg.rerun) {
    const n = cfg.sizes[0] as number;
    const workflow = independentSteps(n, "mixed");
    const samples = await repeat(cfg.reps, () =>
      onPreparedEngine(workflow, async (engine) => {
        await engine.run(workflow, { concurrency: cfg.concurrency });
        const t0 = now();
        await engine.run(workflow, { concurrency: cfg.concurrency });
        return (n / (now() - t0)) * 1000;
      }),
    );
    rec.add(
      `warm.mixed.${n}.rerun`,
      "Warm throughput",
      `${n} trivial mixed steps, second run on the same engine`,
      samples,
      "steps/s",
      "interpreters are replaced before a new run's first step",
    );
    await concurrentRuns(rec, cfg, n / 4);
  }
}

/** `measure` on a fresh engine prepared for `workflow`, closed afterwards. */
async function onPreparedEngine<T>(
  workflow: WorkflowDefinition,
  measure: (engine: Engine) => Promise<T>,
): Promise<T> {
  const engine = makeEngine();
  try {
    await engine.prepare(workflow);
    return await measure(engine);
  } finally {
    await engine.close();
  }
}

/** Four runs at once on one engine: their steps alternate on the workers. */
async function concurrentRuns(rec: Recorder, cfg: WarmConfig, n: number): Promise<void> {
  const workflow = independentSteps(n, "mixed");
  const samples = await repeat(cfg.reps, () =>
    onPreparedEngine(workflow, async (engine) => {
      const t0 = now();
      await Promise.all([0, 1, 2, 3].map(() => engine.run(workflow, { concurrency: cfg.concurrency })));
      return ((4 * n) / (now() - t0)) * 1000;
    }),
  );
  rec.add(
    `warm.mixed.${n}.concurrent4`,
    "Warm throughput",
    `4 concurrent runs of ${n} trivial mixed steps on one engine, all steps`,
    samples,
    "steps/s",
    "each run loads interpreters of its own (one spare waits per worker); a worker keeps those of up to 4 runs",
  );
}

/** Warm mixed throughput with workers in threads and in a child process, interleaved. */
export async function benchIsolation(rec: Recorder, cfg: WarmConfig): Promise<void> {
  const n = cfg.sizes[cfg.sizes.length - 1] as number;
  const label = (mode: Isolation) => `${n} trivial mixed steps, isolation "${mode}"`;
  const works = await processIsolationWorks(independentSteps(1, "lua"));
  if (!works) {
    rec.gap(
      `isolation.process.mixed.${n}`,
      "Process isolation",
      label("process"),
      "steps/s",
      'createEngine({ isolation: "process" }) started no child process: the option is not in this build yet',
    );
    const t = await stepsPerSecond("mixed", n, cfg, { isolation: "thread" });
    rec.add(`isolation.thread.mixed.${n}`, "Process isolation", label("thread"), t.rates, "steps/s");
    return;
  }
  const thread: number[] = [];
  const proc: number[] = [];
  for (let i = 0; i < cfg.reps; i++) {
    thread.push(...(await stepsPerSecond("mixed", n, { ...cfg, reps: 1 }, { isolation: "thread" })).rates);
    proc.push(...(await stepsPerSecond("mixed", n, { ...cfg, reps: 1 }, { isolation: "process" })).rates);
  }
  const t = rec.add(`isolation.thread.mixed.${n}`, "Process isolation", label("thread"), thread, "steps/s");
  const p = rec.add(`isolation.process.mixed.${n}`, "Process isolation", label("process"), proc, "steps/s");
  rec.add(`isolation.ratio`, "Process isolation", "process / thread throughput", p / t, "x");
}
