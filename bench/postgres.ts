/**
 * Scale-out on Postgres (`--only postgres`): steps/s of trivial steps run by 1, 2 and 4
 * `sandflow worker` processes (2 threads each) for an orchestrator in this process, against
 * pg-boss's own empty-job rate on the same database in the same run (the floor: send a job,
 * a worker takes it, completes it); and the end-to-end latency of a 3-step chain.
 * Needs $PGURL or the PostgreSQL binaries (a throw-away cluster is started); else a gap.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { PgBoss } from "pg-boss";
import { createRemoteEngine } from "../src/node.js";
import type { Recorder } from "./recorder.js";
import { log, now } from "./util.js";
import { chain, independentSteps } from "./workloads.js";

/** Settings of the Postgres workloads. */
export interface PostgresConfig {
  readonly steps: number;
  readonly workers: readonly number[];
  readonly reps: number;
  readonly latencyReps: number;
}

const ROOT = new URL("../../", import.meta.url).pathname;
const SECTION = "Scale-out on Postgres";
const SCRIPT = `${ROOT}scripts/pg-test-cluster.sh`;
const DIR = "/tmp/sandflow-pg-bench";
const PORT = "54332";

function database(): { url: string; stop: () => void } | undefined {
  if (process.env.PGURL) return { url: process.env.PGURL, stop: () => undefined };
  try {
    const url = execFileSync("bash", [SCRIPT, "start", DIR, PORT], { encoding: "utf8" }).trim();
    return { url, stop: () => execFileSync("bash", [SCRIPT, "stop", DIR, PORT], { stdio: "ignore" }) };
  } catch {
    return undefined;
  }
}

function schemaName(): string {
  return `bench_${randomUUID().replaceAll("-", "").slice(0, 12)}`;
}

/** pg-boss alone: `n` empty jobs sent (64 at a time) and worked with `concurrency` handlers. */
export async function floor(url: string, n: number, concurrency: number): Promise<number> {
  const boss = new PgBoss({ connectionString: url, schema: schemaName(), useListenNotify: true });
  boss.on("error", () => undefined);
  await boss.start();
  await boss.createQueue("floor", { notify: true });
  let done = 0;
  let finish: () => void = () => undefined;
  const all = new Promise<void>((resolve) => {
    finish = resolve;
  });
  // As sandflow's worker does: one pg-boss worker per handler, fetching again at once after a job
  // (with batchSize 1 and one work() call of localConcurrency N, each worker would wait out
  // its poll interval after every job: about 4 jobs/s here).
  for (let i = 0; i < concurrency; i++) {
    let id: string | undefined;
    id = await boss.work(
      "floor",
      { batchSize: 1, pollingIntervalSeconds: 0.5, notifyPollingIntervalSeconds: 2 },
      async () => {
        if (++done === n) finish();
        if (id) boss.notifyWorker(id);
      },
    );
  }
  const t0 = now();
  let next = 0;
  await Promise.all(
    Array.from({ length: 64 }, async () => {
      while (next < n) {
        next++;
        await boss.send("floor", {});
      }
    }),
  );
  await all;
  const ms = now() - t0;
  await boss.stop({ graceful: false });
  return (n / ms) * 1000;
}

function startWorkers(url: string, schema: string, n: number): Promise<ChildProcess[]> {
  const bin = `${ROOT}bin/sandflow.js`;
  return Promise.all(
    Array.from({ length: n }, async () => {
      const child = spawn(process.execPath, [bin, "worker", "--store", url, "--threads", "2", "--quiet"], {
        env: { ...process.env, SANDFLOW_PG_SCHEMA: schema },
        stdio: ["ignore", "ignore", "pipe"],
      });
      let err = "";
      await new Promise<void>((resolve, reject) => {
        child.stderr?.on("data", (d: Buffer) => {
          err += d.toString();
          if (err.includes("claiming steps")) resolve();
        });
        child.once("exit", () => reject(new Error(`a worker exited: ${err.slice(-300)}`)));
      });
      return child;
    }),
  );
}

async function stopWorkers(children: readonly ChildProcess[]): Promise<void> {
  await Promise.all(
    children.map(
      (c) =>
        new Promise((resolve) => {
          c.once("exit", resolve);
          c.kill("SIGKILL");
        }),
    ),
  );
}

/** Steps/s with `workers` worker processes, and (with one) the 3-step latency. */
async function throughput(rec: Recorder, url: string, cfg: PostgresConfig, workers: number): Promise<number> {
  const schema = schemaName();
  process.env.SANDFLOW_PG_SCHEMA = schema;
  const engine = await createRemoteEngine(url, { queue: { heartbeatSeconds: 30 } });
  const children = await startWorkers(url, schema, workers);
  try {
    await engine.run(independentSteps(20, "lua")); // warm the workers' interpreters
    const rates: number[] = [];
    for (let i = 0; i < cfg.reps; i++) {
      const t0 = now();
      const report = await engine.run(independentSteps(cfg.steps, "lua"), { concurrency: 256 });
      if (report.status !== "succeeded") throw new Error(`a bench run ${report.status}`);
      rates.push((cfg.steps / (now() - t0)) * 1000);
    }
    const rate = rec.add(
      `postgres.steps_${workers}w`,
      SECTION,
      `${cfg.steps} trivial Lua steps, ${workers} worker process${workers > 1 ? "es" : ""} × 2 threads`,
      rates,
      "steps/s",
    );
    if (workers === 1) {
      const samples: number[] = [];
      for (let i = 0; i < cfg.latencyReps; i++) {
        const t0 = now();
        await engine.run(chain(3, "lua"));
        samples.push(now() - t0);
      }
      rec.add(
        "postgres.chain3_ms",
        SECTION,
        "end-to-end latency of a 3-step chain (orchestrator warm, 1 worker)",
        samples,
        "ms",
      );
    }
    return rate;
  } finally {
    await stopWorkers(children);
    await engine.close();
    delete process.env.SANDFLOW_PG_SCHEMA;
  }
}

/** The Postgres section. */
export async function benchPostgres(rec: Recorder, cfg: PostgresConfig): Promise<void> {
  const db = database();
  if (!db) {
    log("postgres: SKIPPED: no $PGURL and no PostgreSQL binaries (apt-get install postgresql)");
    rec.gap(
      "postgres.floor",
      SECTION,
      "pg-boss empty-job rate",
      "jobs/s",
      "no Postgres ($PGURL or binaries)",
    );
    return;
  }
  try {
    const floors: number[] = [];
    for (let i = 0; i < cfg.reps; i++) floors.push(await floor(db.url, cfg.steps, 8));
    const base = rec.add(
      "postgres.floor",
      SECTION,
      `pg-boss alone: ${cfg.steps} empty jobs sent and worked (8 handlers), the floor`,
      floors,
      "jobs/s",
    );
    for (const w of cfg.workers) {
      const rate = await throughput(rec, db.url, cfg, w);
      rec.add(`postgres.steps_${w}w_of_floor`, SECTION, `${w} workers / the pg-boss floor`, rate / base, "x");
    }
  } finally {
    db.stop();
  }
}
