/**
 * The step throughput benchmark (`npm run bench`). Runs every workload in one process
 * run (children for memory and scale), takes medians, checks the targets, and writes
 * bench/results.json and bench/results.md.
 *
 *   npm run bench                      # full run, writes the results files
 *   npm run bench -- --quick --json    # under a minute, one JSON object on stdout
 *   npm run bench -- --only warm,floors --no-write
 *   npm run bench -- --quick --write   # the quick run, written to the results files
 *
 * Progress always goes to stderr.
 */
import { loadavg } from "node:os";
import { type BaselineConfig, benchBaselines } from "./baselines.js";
import { benchColdStart, type ColdConfig } from "./cold-start.js";
import { benchDurable, type DurableConfig } from "./durable.js";
import { CORES, incidents, processIsolationWorks } from "./engines.js";
import { benchFanout, type FanoutConfig } from "./fanout.js";
import { benchFloors, type FloorConfig } from "./floors.js";
import { benchForEach, type ForEachConfig } from "./for-each.js";
import { benchMemory, type MemoryConfig } from "./memory.js";
import { benchNative, type NativeConfig } from "./native.js";
import { benchPostgres, type PostgresConfig } from "./postgres.js";
import { Recorder, section } from "./recorder.js";
import { type BenchResults, markdown, summaryJson, writeResults } from "./report.js";
import { benchRuns, type RunsConfig } from "./runs.js";
import { benchScale, type ScaleConfig } from "./scale.js";
import { benchServer, type ServerConfig } from "./server.js";
import { benchStepCost, type StepCostConfig } from "./step-cost.js";
import { evaluateTargets } from "./targets.js";
import { log, machineInfo, now } from "./util.js";
import { benchIsolation, benchWarm, type WarmConfig } from "./warm.js";
import { benchWindmill, type WindmillConfig } from "./windmill.js";
import { independentSteps } from "./workloads.js";

interface Config {
  readonly warm: WarmConfig;
  readonly isolation: boolean;
  readonly floors: FloorConfig;
  readonly baselines: BaselineConfig;
  readonly fanout: FanoutConfig;
  readonly cold: ColdConfig;
  readonly windmill: WindmillConfig;
  readonly scale: ScaleConfig;
  readonly memory: MemoryConfig & { readonly languagesAll: boolean };
  readonly durable: DurableConfig;
  readonly server: ServerConfig;
  readonly postgres: PostgresConfig;
  readonly native: NativeConfig;
  readonly runs: RunsConfig;
  readonly forEach: ForEachConfig;
  readonly stepCost: StepCostConfig;
}

const FULL: Config = {
  warm: { sizes: [2000, 20000], reps: 3, chainLength: 1000, concurrency: 256, rerun: true },
  isolation: true,
  floors: {
    messages: 10000,
    blocks: 5,
    iterations: { python: 5000, lua: 5000, shell: 500 },
    hostSteps: 20000,
    reps: 5,
  },
  baselines: { steps: 200, reps: 3 },
  fanout: { reps: 5, stepMs: 500, width: 4 },
  cold: { reps: 5, uncachedReps: 3 },
  windmill: { reps: 3, heavyReps: 1 },
  scale: { sizes: [1000, 10000, 100000], reps: 3 },
  memory: { reps: 3, processPool: true, languagesAll: true },
  durable: { steps: 20000, reps: 3, concurrency: 256, resumeSteps: 1000 },
  server: { reps: 5, requests: 5000, concurrency: 16 },
  postgres: { steps: 500, workers: [1, 2, 4], reps: 3, latencyReps: 10 },
  native: { steps: 20000, reps: 3 },
  runs: {
    reps: 3,
    sequential: 100,
    concurrentSteps: 500,
    soakSteps: 1_000_000,
    soakRunSteps: 2_000,
    concurrency: 256,
  },
  forEach: { items: 10000, reps: 3, concurrency: 256 },
  stepCost: { steps: { python: 20000, lua: 20000, shell: 20000, javascript: 20000 }, reps: 3 },
};

const QUICK: Config = {
  warm: { sizes: [1000], reps: 1, chainLength: 0, concurrency: 256, rerun: false },
  isolation: false,
  floors: {
    messages: 2000,
    blocks: 3,
    iterations: { python: 1000, lua: 1000, shell: 100 },
    hostSteps: 5000,
    reps: 3,
  },
  baselines: { steps: 40, reps: 1 },
  fanout: { reps: 1, stepMs: 500, width: 4 },
  cold: { reps: 1, uncachedReps: 0 },
  windmill: { reps: 0, heavyReps: 0 },
  scale: { sizes: [1000, 10000], reps: 1 },
  memory: { reps: 1, processPool: false, languagesAll: false },
  durable: { steps: 2000, reps: 1, concurrency: 256, resumeSteps: 100 },
  server: { reps: 2, requests: 1000, concurrency: 16 },
  postgres: { steps: 200, workers: [1, 2, 4], reps: 1, latencyReps: 3 },
  native: { steps: 20000, reps: 1 },
  runs: {
    reps: 1,
    sequential: 100,
    concurrentSteps: 500,
    soakSteps: 160_000,
    soakRunSteps: 2_000,
    concurrency: 256,
  },
  forEach: { items: 2000, reps: 1, concurrency: 256 },
  stepCost: { steps: { python: 20000, lua: 20000, shell: 5000, javascript: 20000 }, reps: 1 },
};

const SECTIONS = [
  "warm",
  "isolation",
  "floors",
  "stepcost",
  "baselines",
  "native",
  "runs",
  "fanout",
  "cold",
  "windmill",
  "scale",
  "memory",
  "durable",
  "server",
  "postgres",
  "foreach",
];

function parseArgs(argv: readonly string[]): {
  quick: boolean;
  json: boolean;
  write: boolean;
  only: Set<string>;
} {
  const quick = argv.includes("--quick");
  const json = argv.includes("--json");
  const i = argv.indexOf("--only");
  const only = new Set(i >= 0 ? (argv[i + 1] ?? "").split(",") : SECTIONS);
  for (const name of only)
    if (!SECTIONS.includes(name)) throw new Error(`--only: unknown section ${name} (${SECTIONS.join(", ")})`);
  // --write: write the results files from a quick or partial run too (their header says so).
  const write =
    !argv.includes("--no-write") && (argv.includes("--write") || (!quick && only.size === SECTIONS.length));
  return { quick, json, write, only };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const cfg = args.quick ? QUICK : FULL;
  const machine = machineInfo();
  const rec = new Recorder();
  const errors: string[] = [];
  const t0 = now();
  const on = (name: string) => args.only.has(name);
  log(
    `${args.quick ? "quick" : "full"} run on ${machine.cores} cores (${machine.cpuModel}), Node ${machine.node}`,
  );
  let processWorks = false;
  await section(
    "isolation probe",
    async () => {
      processWorks = await processIsolationWorks(independentSteps(1, "lua"));
      log(
        `isolation "process" ${processWorks ? "starts a child process" : "is not available in this build"}`,
      );
    },
    errors,
  );
  if (on("warm")) await section("warm throughput", () => benchWarm(rec, cfg.warm), errors);
  if (on("isolation") && cfg.isolation)
    await section("process isolation", () => benchIsolation(rec, cfg.warm), errors);
  if (on("floors")) await section("floors", () => benchFloors(rec, cfg.floors), errors);
  if (on("stepcost")) await section("per-step worker cost", () => benchStepCost(rec, cfg.stepCost), errors);
  if (on("baselines")) await section("baselines", () => benchBaselines(rec, cfg.baselines), errors);
  if (on("native")) await section("native anchor", () => benchNative(rec, cfg.native), errors);
  if (on("runs")) await section("runs on one engine", () => benchRuns(rec, cfg.runs), errors);
  if (on("fanout")) await section("fan-out", () => benchFanout(rec, cfg.fanout), errors);
  if (on("cold")) await section("cold start", () => benchColdStart(rec, cfg.cold), errors);
  if (on("windmill")) await section("windmill", () => benchWindmill(rec, cfg.windmill), errors);
  if (on("scale")) await section("scale", () => benchScale(rec, cfg.scale), errors);
  if (on("memory")) {
    const languages = cfg.memory.languagesAll
      ? (["python", "lua", "shell", "javascript"] as const)
      : (["python"] as const);
    await section("memory", () => benchMemory(rec, cfg.memory, processWorks, languages), errors);
  }
  if (on("durable")) await section("durable runs", () => benchDurable(rec, cfg.durable), errors);
  if (on("server")) await section("warm daemon", () => benchServer(rec, cfg.server), errors);
  if (on("postgres")) await section("postgres", () => benchPostgres(rec, cfg.postgres), errors);
  if (on("foreach")) await section("for_each", () => benchForEach(rec, cfg.forEach), errors);
  const largest = cfg.warm.sizes[cfg.warm.sizes.length - 1] as number;
  const results: BenchResults = {
    machine,
    mode: args.quick ? "quick" : "full",
    skipped: SECTIONS.filter((name) => !args.only.has(name)),
    durationS: (now() - t0) / 1000,
    loadAverageAtEnd: Math.round((loadavg()[0] ?? 0) * 100) / 100,
    targets: evaluateTargets(rec, largest, CORES),
    figures: rec.all(),
    errors,
    incidents,
  };
  for (const t of results.targets)
    log(
      `target ${t.target}: ${t.figure} ${t.unit} (${t.threshold}) ${t.met === null ? "not measured" : t.met ? "met" : "MISSED"}`,
    );
  if (args.write) {
    writeResults(results);
    log("wrote bench/results.json and bench/results.md");
  } else if (!args.json) process.stderr.write(markdown(results));
  if (args.json) process.stdout.write(`${JSON.stringify(summaryJson(rec, largest))}\n`);
  log(`done in ${results.durationS.toFixed(1)} s`);
  if (errors.length > 0) process.exitCode = 1;
}

await main();
