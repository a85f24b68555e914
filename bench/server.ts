/**
 * The warm daemon (`sandflow serve`): a 3-step Python workflow run end to end through
 * `sandflow run --server` (a new CLI process each time, as a user runs it) against the same
 * run without a server, interleaved in one run; and API requests/s for `GET /api/runs/{id}`.
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Recorder } from "./recorder.js";
import { log, now } from "./util.js";

/** Settings of the server workloads. */
export interface ServerConfig {
  readonly reps: number;
  /** `GET /api/runs/{id}` requests per measurement, and how many at once. */
  readonly requests: number;
  readonly concurrency: number;
}

const ROOT = new URL("../../", import.meta.url).pathname;
const BIN = join(ROOT, "bin", "sandflow.js");

const WORKFLOW = `name: three-python
steps:
  load:
    language: python
    code: |
      def run():
          return [3, 1, 2]
  sort:
    language: python
    depends_on: [load]
    code: |
      def run(inputs):
          return sorted(inputs["load"])
  total:
    language: python
    depends_on: [sort]
    code: |
      def run(inputs):
          return sum(inputs["sort"])
`;

/** Runs the CLI to the end (asynchronously: a server in this process keeps answering); resolves with its time and stdout. */
function timedCli(args: string[], env: NodeJS.ProcessEnv): Promise<{ ms: number; stdout: string }> {
  const t0 = now();
  const child = spawn(process.execPath, [BIN, ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (c) => {
    stdout += c;
  });
  child.stderr.on("data", (c) => {
    stderr += c;
  });
  return new Promise((resolve, reject) =>
    child.once("exit", (code) => {
      const ms = now() - t0;
      if (code !== 0) reject(new Error(`sandflow ${args.join(" ")} exited ${code}: ${stderr.slice(-500)}`));
      else resolve({ ms, stdout });
    }),
  );
}

/** A Node process that does nothing, start to exit. */
function timedNode(): Promise<number> {
  const t0 = now();
  const child = spawn(process.execPath, ["-e", ""], { stdio: "ignore" });
  return new Promise((resolve) => child.once("exit", () => resolve(now() - t0)));
}

function checkReport(stdout: string): string {
  const report = JSON.parse(stdout);
  if (report.status !== "succeeded" || report.steps.total.output !== 6)
    throw new Error(`the run did not give the expected result: ${stdout.slice(0, 400)}`);
  return report.runId as string;
}

/** `GET /api/runs/{id}` as fast as `concurrency` clients can; requests/s. */
async function requestRate(url: string, runId: string, cfg: ServerConfig): Promise<number> {
  let next = 0;
  const t0 = now();
  const client = async () => {
    while (next++ < cfg.requests) {
      const res = await fetch(`${url}/api/runs/${runId}`);
      if (res.status !== 200) throw new Error(`GET /api/runs/${runId}: ${res.status}`);
      await res.arrayBuffer();
    }
  };
  await Promise.all(Array.from({ length: cfg.concurrency }, client));
  return (cfg.requests / (now() - t0)) * 1000;
}

/** Both server workloads, on a `sandflow serve --background` in a home of its own. */
export async function benchServer(rec: Recorder, cfg: ServerConfig): Promise<void> {
  const home = mkdtempSync(join(tmpdir(), "sandflow-bench-serve-"));
  const env = { ...process.env, SANDFLOW_HOME: home, NO_COLOR: "1" };
  const file = join(home, "three-python.yaml");
  writeFileSync(file, WORKFLOW);
  const started = spawnSync(process.execPath, [BIN, "serve", "--background", "--port", "0"], {
    env,
    encoding: "utf8",
  });
  if (started.status !== 0) throw new Error(`sandflow serve --background failed: ${started.stderr}`);
  const url = (JSON.parse(readFileSync(join(home, "server.json"), "utf8")) as { url: string }).url;
  try {
    const remote = ["run", file, "--server", url, "--json", "--progress", "none"];
    const local = ["run", file, "--json", "--progress", "none"];
    // Once each first: the server's workers load Python, the snapshot is made.
    checkReport((await timedCli(remote, env)).stdout);
    checkReport((await timedCli(local, env)).stdout);
    const viaServer: number[] = [];
    const without: number[] = [];
    const bare: number[] = [];
    let runId = "";
    for (let i = 0; i < cfg.reps; i++) {
      const r = await timedCli(remote, env);
      runId = checkReport(r.stdout);
      viaServer.push(r.ms);
      const l = await timedCli(local, env);
      checkReport(l.stdout);
      without.push(l.ms);
      bare.push(await timedNode());
    }
    const server = rec.add(
      "server.run_ms",
      "Warm daemon",
      "sandflow run --server: 3 Python steps end to end, whole CLI process",
      viaServer,
      "ms",
      "a new CLI process per run; the server's pool is warm",
    );
    const alone = rec.add(
      "server.local_run_ms",
      "Warm daemon",
      "the same run without a server (sandflow run), whole CLI process",
      without,
      "ms",
      "starts the worker pool and loads Python each time",
    );
    rec.add("server.speedup", "Warm daemon", "run without a server / run --server", alone / server, "x");
    rec.add(
      "server.node_floor_ms",
      "Warm daemon",
      "control: node -e '' (a Node process that does nothing), same moments",
      bare,
      "ms",
      "the part of run --server no CLI can save",
    );
    log(`run --server ${server.toFixed(0)} ms, without a server ${alone.toFixed(0)} ms`);
    await requestRate(url, runId, { ...cfg, requests: Math.min(200, cfg.requests) });
    const rates: number[] = [];
    for (let i = 0; i < cfg.reps; i++) rates.push(await requestRate(url, runId, cfg));
    const rate = rec.add(
      "server.report_rps",
      "Warm daemon",
      `GET /api/runs/{id} (a 3-step run's report), ${cfg.concurrency} clients at once`,
      rates,
      "requests/s",
      "the clients run in the bench process on the same cores",
    );
    log(`GET /api/runs/{id}: ${rate.toFixed(0)} requests/s`);
  } finally {
    spawnSync(process.execPath, [BIN, "stop"], { env, encoding: "utf8" });
    rmSync(home, { recursive: true, force: true });
  }
}
