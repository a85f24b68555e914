/**
 * Many runs on one engine, as a server with many small runs sees them: the cost of a run's
 * fresh interpreters (each run gets interpreters of its own), four runs at once against one,
 * sequential small runs, and a soak of many steps with the process tree's RSS watched.
 */
import type { Engine, WorkflowDefinition } from "../src/node.js";
import { failureText, makeEngine } from "./engines.js";
import type { Recorder } from "./recorder.js";
import type { SoakSample } from "./soak-child.js";
import { now, repeat, runBenchChild } from "./util.js";
import { chain, independentSteps } from "./workloads.js";

const SECTION = "Runs on one engine";

/** Settings of the many-runs workloads. */
export interface RunsConfig {
  readonly reps: number;
  /** Sequential runs of a 3-step Python chain. */
  readonly sequential: number;
  /** Steps of each of the concurrent runs. */
  readonly concurrentSteps: number;
  /** Trivial mixed steps of the soak, in runs of `soakRunSteps`. */
  readonly soakSteps: number;
  readonly soakRunSteps: number;
  readonly concurrency: number;
}

async function onEngine<T>(workflow: WorkflowDefinition, fn: (engine: Engine) => Promise<T>): Promise<T> {
  const engine = makeEngine();
  try {
    await engine.prepare(workflow);
    return await fn(engine);
  } finally {
    await engine.close();
  }
}

async function mustSucceed(engine: Engine, workflow: WorkflowDefinition, concurrency: number): Promise<void> {
  const report = await engine.run(workflow, { concurrency });
  if (report.status !== "succeeded") throw new Error(failureText(report));
}

/** Records `runs.fresh_run_ms`, `runs.sequential_per_s`, `runs.concurrent_ratio` and the soak figures. */
export async function benchRuns(rec: Recorder, cfg: RunsConfig): Promise<void> {
  const one = chain(1, "python");
  const fresh = await onEngine(one, async (engine) => {
    await mustSucceed(engine, one, cfg.concurrency);
    const ms: number[] = [];
    for (let i = 0; i < 20; i++) {
      const t0 = now();
      await mustSucceed(engine, one, cfg.concurrency);
      ms.push(now() - t0);
    }
    return ms;
  });
  rec.add(
    "runs.fresh_run_ms",
    SECTION,
    "a run of one trivial Python step on a warm engine (fresh interpreter per run)",
    fresh,
    "ms",
    "each run gets interpreters of its own: an interpreter serves one run only",
  );

  const three = chain(3, "python");
  const sequential = await repeat(cfg.reps, () =>
    onEngine(three, async (engine) => {
      await mustSucceed(engine, three, cfg.concurrency);
      const t0 = now();
      for (let i = 0; i < cfg.sequential; i++) await mustSucceed(engine, three, cfg.concurrency);
      return (cfg.sequential / (now() - t0)) * 1000;
    }),
  );
  rec.add(
    "runs.sequential_per_s",
    SECTION,
    `${cfg.sequential} sequential runs of a 3-step Python chain on one engine`,
    sequential,
    "runs/s",
  );

  const n = cfg.concurrentSteps;
  const mixed = independentSteps(n, "mixed");
  const pairs = await repeat(cfg.reps, () =>
    onEngine(mixed, async (engine) => {
      await mustSucceed(engine, mixed, cfg.concurrency);
      let t0 = now();
      await mustSucceed(engine, mixed, cfg.concurrency);
      const single = (n / (now() - t0)) * 1000;
      t0 = now();
      await Promise.all([0, 1, 2, 3].map(() => mustSucceed(engine, mixed, cfg.concurrency)));
      const four = ((4 * n) / (now() - t0)) * 1000;
      return { single, four };
    }),
  );
  const single = rec.add(
    "runs.single",
    SECTION,
    `one run of ${n} trivial mixed steps (after a first run)`,
    pairs.map((p) => p.single),
    "steps/s",
  );
  const four = rec.add(
    "runs.concurrent4",
    SECTION,
    `4 concurrent runs of ${n} trivial mixed steps, all steps`,
    pairs.map((p) => p.four),
    "steps/s",
  );
  rec.add("runs.concurrent_ratio", SECTION, "4 concurrent runs / one run", four / single, "x");

  await soak(rec, cfg);
}

/** V8 flags of the soak's host process: what README advises for a long-lived host. */
const SOAK_HOST_FLAGS = ["--max-semi-space-size=8"];

/**
 * Steps of the soak's warm-up at least: V8 lets the heaps of the host and the pool process
 * grow for about 50,000 trivial steps before they settle (measured: live heap flat after
 * 6,000 steps, RSS still growing to 52,000), so a warm-up of a tenth of a short soak would
 * count that settling as growth.
 */
const SOAK_WARMUP_STEPS = 60_000;

async function soak(rec: Recorder, cfg: RunsConfig): Promise<void> {
  const runs = Math.max(10, Math.round(cfg.soakSteps / cfg.soakRunSteps));
  const warmup = Math.max(1, Math.round(runs / 10), Math.ceil(SOAK_WARMUP_STEPS / cfg.soakRunSteps));
  const s = await runBenchChild<SoakSample>(
    "soak-child",
    [String(runs), String(cfg.soakRunSteps), String(cfg.concurrency), String(warmup)],
    [...SOAK_HOST_FLAGS, "--expose-gc"],
  );
  const growth = (mb: number[]) => Math.max(...mb.slice(warmup)) / (mb[warmup - 1] as number) - 1;
  const tree = s.hostMb.map((host, i) => host + (s.poolMb[i] as number));
  const tenth = Math.max(1, Math.floor(runs / 10));
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const early = mean(s.rates.slice(warmup, warmup + tenth));
  const late = mean(s.rates.slice(-tenth));
  const total = runs * cfg.soakRunSteps;
  const mb = (xs: number[], at: number) => Math.round(xs[at] as number);
  const peak = (xs: number[]) => Math.round(Math.max(...xs.slice(warmup)));
  rec.add(
    "runs.soak_rss_growth",
    SECTION,
    `soak of ${total.toLocaleString("en-US")} trivial mixed steps: RSS growth after warm-up (peak / after warm-up - 1)`,
    growth(tree),
    "x",
    `host and pool process RSS ${mb(tree, warmup - 1)} MB after ${warmup} runs, peak ${peak(tree)} MB after; ${runs} runs of ${cfg.soakRunSteps}; the memory store keeps the last ${warmup} finished runs; host run with ${SOAK_HOST_FLAGS.join(" ")}`,
  );
  rec.add(
    "runs.soak_pool_rss_growth",
    SECTION,
    "soak: the pool process's RSS growth after warm-up",
    growth(s.poolMb),
    "x",
    `${mb(s.poolMb, warmup - 1)} MB after warm-up, peak ${peak(s.poolMb)} MB`,
  );
  rec.add(
    "runs.soak_host_rss_growth",
    SECTION,
    "soak: the host process's RSS growth after warm-up",
    growth(s.hostMb),
    "x",
    `${mb(s.hostMb, warmup - 1)} MB after warm-up, peak ${peak(s.hostMb)} MB; JavaScript heap in use at the end ${Math.round(s.hostHeapMb)} MB`,
  );
  rec.add(
    "runs.soak_host_live_heap_growth",
    SECTION,
    "soak: the host's live JavaScript heap (after a full GC), end / after warm-up - 1",
    s.liveHeapMb[1] / s.liveHeapMb[0] - 1,
    "x",
    `${s.liveHeapMb[0].toFixed(1)} MB after warm-up, ${s.liveHeapMb[1].toFixed(1)} MB at the end: a leak grows it, V8's heap sizing does not`,
  );
  rec.add(
    "runs.soak_throughput_ratio",
    SECTION,
    "soak: throughput of the last tenth of runs / the first tenth after warm-up",
    late / early,
    "x",
    `${Math.round(early)} then ${Math.round(late)} steps/s`,
  );
}
