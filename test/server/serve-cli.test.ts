import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, readEvents } from "./helpers.js";

const root = new URL("../../", import.meta.url).pathname;

function sandflow(home: string, args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, ["bin/sandflow.js", ...args], {
    cwd: root,
    encoding: "utf8",
    env: { ...process.env, NO_COLOR: "1", SANDFLOW_HOME: home, ...env },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The parts of a report that do not depend on timing or ids. */
// biome-ignore lint/suspicious/noExplicitAny: answers are JSON read field by field
function shape(report: any) {
  return {
    workflow: report.workflow,
    status: report.status,
    steps: Object.fromEntries(
      // biome-ignore lint/suspicious/noExplicitAny: answers are JSON read field by field
      Object.entries(report.steps as Record<string, any>).map(([id, s]) => [
        id,
        { status: s.status, output: s.output, stdout: s.stdout, error: s.error?.name ?? null },
      ]),
    ),
  };
}

describe("sandflow serve --background, run --server, stop", () => {
  const home = mkdtempSync(join(tmpdir(), "sandflow-daemon-"));
  let url: string;
  beforeAll(() => {
    const started = sandflow(home, ["serve", "--background", "--port", "0", "--threads", "2"]);
    expect(started.code, started.stderr).toBe(0);
    url = JSON.parse(readFileSync(join(home, "server.json"), "utf8")).url;
    expect(started.stdout).toContain(url);
  });
  afterAll(() => {
    if (existsSync(join(home, "server.json"))) sandflow(home, ["stop"]);
  });

  it("runs a workflow on the server with the same report and progress as a local run", async () => {
    const file = "test/fixtures/workflows/etl.yaml";
    const remote = sandflow(home, ["run", file, "--server", url, "--json", "--progress", "plain"]);
    expect(remote.code, remote.stderr).toBe(0);
    const local = sandflow(home, ["run", file, "--json", "--progress", "plain", "--no-store"]);
    expect(local.code, local.stderr).toBe(0);
    const remoteReport = JSON.parse(remote.stdout);
    expect(shape(remoteReport)).toEqual(shape(JSON.parse(local.stdout)));
    const lines = (text: string) =>
      text
        .split("\n")
        .filter((l) => / (started|succeeded)/.test(l) && !l.startsWith("run "))
        .map((l) => l.replace(/ in .*$/, ""));
    expect(lines(remote.stderr)).toEqual(lines(local.stderr));
    // The run is the server's: it is in its store.
    expect((await api({ url }, "GET", `/api/runs/${remoteReport.runId}`)).body.status).toBe("succeeded");
  });

  it("lists and shows the server's runs with runs --server and show --server (through its API)", () => {
    // A home of its own: what the CLI lists comes from the server, not from a store it opens.
    const elsewhere = mkdtempSync(join(tmpdir(), "sandflow-elsewhere-"));
    const ran = sandflow(home, ["run", "test/fixtures/workflows/etl.yaml", "--server", url, "--json"]);
    expect(ran.code, ran.stderr).toBe(0);
    const { runId, workflow } = JSON.parse(ran.stdout) as { runId: string; workflow: string };
    expect(sandflow(elsewhere, ["runs"]).stdout).toMatch(/^no runs in /);
    const listed = sandflow(elsewhere, ["runs", "--server", url, "--limit", "50"]);
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toMatch(new RegExp(`^${runId.slice(0, 8)}  succeeded .* ${workflow}$`, "m"));
    const json = sandflow(elsewhere, ["runs", "--server", url, "--json", "--status", "succeeded"]);
    expect(JSON.parse(json.stdout).runs.map((r: { runId: string }) => r.runId)).toContain(runId);
    const shown = sandflow(elsewhere, ["show", runId.slice(0, 8), "--server", url]);
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toContain(`${workflow}: succeeded in`);
    const report = JSON.parse(sandflow(elsewhere, ["show", runId, "--server", url, "--json"]).stdout);
    expect(shape(report)).toEqual(shape(JSON.parse(ran.stdout)));
    // What is wrong is said as the server says it, one problem per line.
    const bad = sandflow(elsewhere, ["runs", "--server", url, "--status", "bogus"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(
      /^sandflow runs: bad query\n {2}status: expected one of "running", .*got the string "bogus"/,
    );
    const missing = sandflow(elsewhere, ["show", "ffffffff", "--server", url]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("no run 'ffffffff'");
    // delete --server: the run goes from the server's store.
    const deleted = sandflow(elsewhere, ["delete", runId.slice(0, 8), "--server", url, "--json"]);
    expect(deleted.code, deleted.stderr).toBe(0);
    expect(JSON.parse(deleted.stdout)).toEqual({ runId, deleted: true });
    expect(sandflow(elsewhere, ["show", runId, "--server", url]).stderr).toContain(`no run '${runId}'`);
    const both = sandflow(elsewhere, ["runs", "--server", url, "--store", "x.db"]);
    expect(both.code).toBe(2);
    expect(both.stderr).toBe("sandflow: give --store or --server, not both\n");
  });

  it("reads the workflow's step files in the CLI and sends them (SANDFLOW_SERVER), and a failed run exits 1", () => {
    const withFiles = sandflow(home, ["run", "test/fixtures/workflows/with-files/wf.yaml", "--json"], {
      SANDFLOW_SERVER: url,
    });
    expect(withFiles.code, withFiles.stderr).toBe(0);
    expect(JSON.parse(withFiles.stdout).steps.hello.status).toBe("succeeded");
    const failing = sandflow(home, ["run", "test/fixtures/workflows/failing.yaml", "--server", url]);
    expect(failing.code).toBe(1);
    expect(failing.stdout).toContain("failed");
  });

  it("sends a wasm step's module and a JavaScript step with the workflow", () => {
    const file = "workflows/wasi/wordcount.yaml";
    const remote = sandflow(home, ["run", file, "--server", url, "--json"]);
    expect(remote.code, remote.stderr).toBe(0);
    const local = sandflow(home, ["run", file, "--json", "--no-store"]);
    expect(local.code, local.stderr).toBe(0);
    const report = JSON.parse(remote.stdout);
    expect(report.steps.report.output).toEqual(JSON.parse(local.stdout).steps.report.output);
  });

  it("says what is wrong with an invalid workflow (exit 2) and when no server answers", () => {
    const invalid = sandflow(home, ["run", "test/fixtures/workflows/invalid-cycle.lua", "--server", url]);
    expect(invalid.code).toBe(2);
    expect(invalid.stderr).toContain("cycle");
    const none = sandflow(home, [
      "run",
      "test/fixtures/workflows/etl.yaml",
      "--server",
      "http://127.0.0.1:9",
    ]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain("no server at http://127.0.0.1:9");
    const local = sandflow(home, [
      "run",
      "test/fixtures/workflows/etl.yaml",
      "--server",
      url,
      "--threads",
      "2",
    ]);
    expect(local.code).toBe(2);
    expect(local.stderr).toContain("--threads applies to a local run only");
  });

  it("resumes over the API a run whose process was killed", async () => {
    const child: ChildProcess = spawn(
      process.execPath,
      [
        "bin/sandflow.js",
        "run",
        "test/fixtures/workflows/durable-kill.yaml",
        "--progress",
        "plain",
        "--store",
        join(home, "killed.db"),
      ],
      {
        cwd: root,
        env: { ...process.env, NO_COLOR: "1", SANDFLOW_HOME: home },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let stderr = "";
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`slow never started: ${stderr}`)), 60_000);
      child.stderr?.on("data", (chunk) => {
        stderr += chunk;
        if (stderr.includes("slow: started")) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    // The journal commits a scheduler tick's transitions after its events are told.
    await new Promise((r) => setTimeout(r, 500));
    const exited = new Promise((r) => child.once("exit", r));
    child.kill("SIGKILL");
    await exited;
    const { startServer } = await import("../../src/server/node-server.js");
    const server = await startServer({ port: 0, store: join(home, "killed.db"), engine: { threads: 1 } });
    try {
      const [run] = (await api(server, "GET", "/api/runs")).body.runs;
      expect(run.status).toBe("interrupted");
      const resumed = await api(server, "POST", `/api/runs/${run.runId.slice(0, 8)}/resume`);
      expect(resumed.status, JSON.stringify(resumed.body)).toBe(202);
      expect(resumed.body.runId).toBe(run.runId);
      const events = await readEvents(server, run.runId);
      expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
      const last = events.at(-1)?.event;
      expect(last?.type === "run-finished" && last.status).toBe("succeeded");
      const report = (await api(server, "GET", `/api/runs/${run.runId}`)).body;
      expect(report.steps.first.attempts).toBe(1);
      expect(report.steps.last.output.note).toBe("written by first");
    } finally {
      await server.close();
    }
  });

  it("stops the background server", () => {
    const state = JSON.parse(readFileSync(join(home, "server.json"), "utf8"));
    const stopped = sandflow(home, ["stop"]);
    expect(stopped.code, stopped.stderr).toBe(0);
    expect(existsSync(join(home, "server.json"))).toBe(false);
    expect(() => process.kill(state.pid, 0)).toThrow();
    expect(sandflow(home, ["stop"]).code).toBe(1);
  });
});
