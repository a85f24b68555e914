/**
 * One-off CPU profile of a warm run (benchmark tooling, not part of `npm run bench`):
 * the engine is built like createEngine's thread mode but its workers get `--cpu-prof`;
 * the main thread is profiled through the inspector around the run only. Prints where the
 * time goes in each thread (worker profiles cut to the run's time window).
 *
 *   node dist/bench/profile.js mixed|python|lua|shell|host|fanout N OUTDIR [WARMUPS]
 *
 * "host" runs the scheduler and the BatchingPool over the instant in-process transport;
 * "fanout" runs 4 CPU-bound Python steps of N loop rounds at concurrency 2. WARMUPS (default
 * 0) runs the workflow that many times before the profiled run, so the interpreters' wasm
 * has tiered up: the profile then shows the steady per-step cost.
 */
import { randomUUID } from "node:crypto";
import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { Session } from "node:inspector/promises";
import { join } from "node:path";
import { Engine } from "../src/core/engine.js";
import { resolveEngineOptions } from "../src/core/options.js";
import { timerClock } from "../src/core/system-clock.js";
import { BUSYBOX_WASM, workerEntry } from "../src/node/package-paths.js";
import { PiscinaTransport } from "../src/node/piscina-transport.js";
import { ensurePyodideSnapshot } from "../src/node/pyodide-snapshot.js";
import { defaultCacheDir } from "../src/node.js";
import { BatchingPool } from "../src/pool/batching-pool.js";
import { formatSummary, summarize } from "./cpu-profile-summary.js";
import { CORES } from "./engines.js";
import { engineOverInstantTransport } from "./instant-pool.js";
import { log, now } from "./util.js";
import { fanout, independentSteps, type LanguageMix } from "./workloads.js";

const [workload = "mixed", count = "20000", outDir = "/tmp/sandflow-profile", warmups = "0"] =
  process.argv.slice(2);
const n = Number(count);
const workerDir = join(outDir, "workers");
mkdirSync(workerDir, { recursive: true });

function profiledEngine(snapshotPath: string): Engine {
  const transport = new PiscinaTransport({
    filename: workerEntry("node-worker"),
    threads: CORES,
    workerData: { busyboxWasmPath: BUSYBOX_WASM, pyodideSnapshotPath: snapshotPath },
    execArgv: ["--cpu-prof", `--cpu-prof-dir=${workerDir}`, "--cpu-prof-interval=250"],
  });
  const pool = new BatchingPool(transport, { prepareMemoryBytes: 512 * 1048576 });
  return new Engine(
    { pool, clock: timerClock(globalThis, () => Date.now()), newId: () => randomUUID() },
    resolveEngineOptions({ threads: CORES }, CORES),
  );
}

const monotonicUs = (): number => Number(process.hrtime.bigint() / 1000n);

// "fanout": 4 CPU-bound Python steps of N loop rounds at concurrency 2.
const workflow =
  workload === "fanout"
    ? fanout(4, n)
    : independentSteps(n, workload === "host" ? "mixed" : (workload as LanguageMix));
const concurrency = workload === "fanout" ? 2 : 256;
const engine =
  workload === "host"
    ? engineOverInstantTransport(CORES)
    : profiledEngine(await ensurePyodideSnapshot(defaultCacheDir()));
await engine.prepare(workflow);
for (let i = 0; i < Number(warmups); i++) await engine.run(workflow, { concurrency });
const session = new Session();
session.connect();
await session.post("Profiler.enable");
await session.post("Profiler.setSamplingInterval", { interval: 250 });
await session.post("Profiler.start");
const from = monotonicUs();
const t0 = now();
const report = await engine.run(workflow, { concurrency });
const ms = now() - t0;
const to = monotonicUs();
const { profile } = await session.post("Profiler.stop");
session.disconnect();
await engine.close();
const mainPath = join(outDir, "main.cpuprofile");
writeFileSync(mainPath, JSON.stringify(profile));
const steps = workflow.steps.length;
const header = `${steps} ${workload} steps: ${report.status}, ${Math.round(ms)} ms, ${Math.round((steps / ms) * 1000)} steps/s`;
log(header);
let text = `## ${header}\n\n${formatSummary("main thread", summarize(mainPath))}`;
for (const file of readdirSync(workerDir).filter((f) => f.endsWith(".cpuprofile"))) {
  const s = summarize(join(workerDir, file), [from, to]);
  if (s.busyMs + s.idleMs > 0) text += `\n${formatSummary(`worker ${file}`, s)}`;
}
writeFileSync(join(outDir, "summary.md"), text);
// The run's window in the profiles' clock, for tools that cut the worker profiles themselves.
writeFileSync(join(outDir, "window.json"), JSON.stringify({ from, to, steps }));
process.stdout.write(text);
