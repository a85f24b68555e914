/**
 * Durable runs: warm mixed throughput with runs recorded in the SQLite store, in the
 * memory store (the API's default) and not at all (`--no-store`), interleaved in one run;
 * and the time to resume a killed run from the CLI (the fold of its journal included).
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MemoryStore, SqliteStore } from "../src/node.js";
import type { BenchEngineOptions } from "./engines.js";
import { timedFreshRun } from "./engines.js";
import type { Recorder } from "./recorder.js";
import { log, now } from "./util.js";
import { independentSteps } from "./workloads.js";

/** Settings of the durable workloads. */
export interface DurableConfig {
  readonly steps: number;
  readonly reps: number;
  readonly concurrency: number;
  /** Steps that succeeded before the kill, in the resume workload. */
  readonly resumeSteps: number;
}

const ROOT = new URL("../../", import.meta.url).pathname;

/** Throughput with each kind of store, interleaved so that load changes hit all alike. */
async function throughput(rec: Recorder, cfg: DurableConfig): Promise<void> {
  const workflow = independentSteps(cfg.steps, "mixed");
  const dir = mkdtempSync(join(tmpdir(), "sandflow-bench-store-"));
  const kinds: [string, () => BenchEngineOptions["store"]][] = [
    ["none", () => false],
    ["memory", () => new MemoryStore()],
    ["sqlite", () => new SqliteStore(join(dir, "bench.db"))],
  ];
  const rates = new Map<string, number[]>(kinds.map(([k]) => [k, []]));
  try {
    for (let i = 0; i < cfg.reps; i++)
      for (const [kind, store] of kinds) {
        const run = await timedFreshRun(workflow, cfg.concurrency, { store: store() });
        rates.get(kind)?.push((cfg.steps / run.ms) * 1000);
      }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const label = (kind: string) => `${cfg.steps} trivial mixed steps, store: ${kind}`;
  const none = rec.add(
    "durable.none",
    "Durable runs",
    label("none (--no-store)"),
    rates.get("none") ?? [],
    "steps/s",
  );
  const memory = rec.add(
    "durable.memory",
    "Durable runs",
    label("memory"),
    rates.get("memory") ?? [],
    "steps/s",
  );
  const sqlite = rec.add(
    "durable.sqlite",
    "Durable runs",
    label("SQLite"),
    rates.get("sqlite") ?? [],
    "steps/s",
  );
  rec.add("durable.sqlite_ratio", "Durable runs", "SQLite store / no store throughput", sqlite / none, "x");
  rec.add("durable.memory_ratio", "Durable runs", "memory store / no store throughput", memory / none, "x");
}

/** A workflow of `n` trivial Lua steps and a shell step that waits on its first attempt only. */
function killableWorkflow(n: number): string {
  const steps = Array.from({ length: n }, (_, i) => `  s${i}:\n    code: "function run() return ${i} end"`);
  const deps = Array.from({ length: n }, (_, i) => `s${i}`).join(", ");
  return `name: killable\nsteps:\n${steps.join("\n")}\n  gate:\n    language: shell\n    depends_on: [${deps}]\n    code: '[ "$SANDFLOW_ATTEMPT" = 1 ] && sleep 60; echo "{\\"ok\\": true}"'\n`;
}

/** Kills the CLI while `gate` runs, then times `sandflow resume` (a new process, as a user runs it). */
async function killAndResume(rec: Recorder, cfg: DurableConfig): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "sandflow-bench-resume-"));
  const samples: number[] = [];
  try {
    const file = join(dir, "killable.yaml");
    writeFileSync(file, killableWorkflow(cfg.resumeSteps));
    for (let i = 0; i < cfg.reps; i++) {
      const store = join(dir, `s${i}.db`);
      const bin = join(ROOT, "bin", "sandflow.js");
      const child = spawn(process.execPath, [bin, "run", file, "--store", store, "--progress", "plain"], {
        stdio: ["ignore", "ignore", "pipe"],
      });
      let err = "";
      await new Promise<void>((resolve, reject) => {
        child.stderr.on("data", (chunk) => {
          err += chunk;
          if (err.includes("gate: started")) resolve();
        });
        child.on("exit", () => reject(new Error(`the run ended before it was killed: ${err.slice(-500)}`)));
      });
      child.kill("SIGKILL");
      await new Promise((r) => child.once("exit", r));
      const runs = spawnSync(process.execPath, [bin, "runs", "--json", "--store", store], {
        encoding: "utf8",
      });
      const runId = JSON.parse(runs.stdout).runs[0].runId as string;
      const t0 = now();
      const resumed = spawnSync(
        process.execPath,
        [bin, "resume", runId, "--json", "--progress", "none", "--store", store],
        {
          encoding: "utf8",
        },
      );
      const ms = now() - t0;
      const report = JSON.parse(resumed.stdout);
      if (report.status !== "succeeded" || report.steps.s0.attempts !== 1)
        throw new Error(`resume did not finish the run as expected: ${resumed.stdout.slice(0, 500)}`);
      samples.push(ms);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  rec.add(
    "durable.resume_ms",
    "Durable runs",
    `sandflow resume of a killed run (${cfg.resumeSteps} steps done, 1 to run), whole CLI process`,
    samples,
    "ms",
    "includes Node start-up and the worker pool's start",
  );
  log(`resume of a killed run: ${samples.map((s) => s.toFixed(0)).join(", ")} ms`);
}

/** Both durable workloads. */
export async function benchDurable(rec: Recorder, cfg: DurableConfig): Promise<void> {
  await throughput(rec, cfg);
  await killAndResume(rec, cfg);
}
