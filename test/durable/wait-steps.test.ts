/**
 * Steps that wait: sleep, wait_for a signal, approval. Signals before and after the wait,
 * approval granted and denied, a timeout, idempotent ids, the `waiting` status, the
 * validation of the fields, and a sleep that survives its process killed with SIGKILL.
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Engine } from "../../src/core/engine.js";
import { parseWorkflow, parseWorkflowOrThrow } from "../../src/core/validate.js";
import { createEngine } from "../../src/node/create-engine.js";
import { SqliteStore } from "../../src/node/sqlite-store.js";

const root = new URL("../../", import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), "sf-wait-"));
const storeFile = join(dir, "runs.db");
let engine: Engine;
beforeAll(() => {
  engine = createEngine({ threads: 1, store: new SqliteStore(storeFile), isolation: "thread" });
});
afterAll(async () => {
  await engine.close();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const lua = (code: string, depends_on: string[]) => ({ language: "lua", code, depends_on });

async function until(check: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (await check()) return;
    await sleep(50);
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe("waiting steps", () => {
  it("wait_for takes a signal sent before it waits, and one sent while it waits; ids are idempotent", async () => {
    const wf = parseWorkflowOrThrow({
      name: "signals",
      steps: {
        nap: { sleep: "300ms" },
        first: { wait_for: { signal: "go" }, depends_on: ["nap"] },
        second: { wait_for: { signal: "go" }, depends_on: ["first"] },
        done: lua("function run(inputs) return { inputs.first.n, inputs.second.n } end", ["first", "second"]),
      },
    });
    const handle = engine.start(wf);
    await handle.recorded;
    const early = await engine.signal(handle.runId, "go", { n: 1 }, { id: "one" });
    expect(early.delivered).toBe(true);
    expect((await engine.signal(handle.runId.slice(0, 8), "go", { n: 99 }, { id: "one" })).delivered).toBe(
      false,
    );
    await until(
      async () => (await engine.report(handle.runId)).waiting?.[0]?.step === "second",
      "the second wait",
    );
    const shown = await engine.report(handle.runId);
    expect(shown.waiting).toEqual([{ step: "second", for: "signal", signal: "go" }]);
    await engine.signal(handle.runId, "go", { n: 2 });
    const report = await handle.report;
    expect(report.status, JSON.stringify(report.steps)).toBe("succeeded");
    expect(report.steps.done?.output).toEqual([1, 2]);
    expect(report.steps.nap?.output).toBeNull();
  });

  it("approval: granted goes on with its data, denied fails with ApprovalDeniedError", async () => {
    const wf = parseWorkflowOrThrow({
      name: "approve",
      steps: {
        gate: { approval: true },
        after: lua("function run(inputs) return inputs.gate.by end", ["gate"]),
      },
    });
    const granted = engine.start(wf);
    await granted.recorded;
    await until(async () => (await engine.report(granted.runId)).status === "waiting", "the approval wait");
    expect((await engine.report(granted.runId)).waiting?.[0]).toMatchObject({
      step: "gate",
      for: "approval",
    });
    // Listed as waiting too (sandflow runs, GET /api/runs), not as running.
    expect((await engine.runs()).find((r) => r.runId === granted.runId)?.status).toBe("waiting");
    await expect(engine.signal(granted.runId, "approval", { approved: "yes" })).rejects.toThrow(
      /an approval's data must be/,
    );
    await engine.signal(granted.runId, "approval", { approved: true, by: "ann" });
    const ok = await granted.report;
    expect(ok.steps.after?.output).toBe("ann");
    expect((await engine.runs()).find((r) => r.runId === granted.runId)?.status).toBe("succeeded");

    const denied = engine.start(wf);
    await denied.recorded;
    await engine.signal(denied.runId, "approval", { approved: false, by: "bob", comment: "not today" });
    const no = await denied.report;
    expect(no.status).toBe("failed");
    expect(no.steps.gate?.error).toMatchObject({
      name: "ApprovalDeniedError",
      message: "not approved by bob: not today",
    });
    expect(no.steps.after?.status).toBe("skipped");
    await expect(engine.signal(denied.runId, "approval", { approved: true })).rejects.toThrow(/has finished/);
  });

  it("a wait past its timeout fails with SignalTimeoutError; sleep until a time past goes on at once", async () => {
    const wf = parseWorkflowOrThrow({
      name: "timeout",
      steps: {
        past: { until: "2020-01-01T00:00:00Z" },
        wait: { wait_for: { signal: "never", timeout: "400ms" }, depends_on: ["past"] },
      },
    });
    const t0 = Date.now();
    const report = await engine.run(wf);
    expect(report.steps.past?.status).toBe("succeeded");
    expect(report.steps.wait?.error?.name).toBe("SignalTimeoutError");
    expect(Date.now() - t0).toBeLessThan(10_000);
  });

  it("validates the waiting fields, naming the step and field", () => {
    const issues = (steps: Record<string, unknown>) => {
      const r = parseWorkflow({ steps });
      return r.ok ? [] : r.error.issues.map((i) => `${i.path}: ${i.message}`);
    };
    expect(issues({ a: { sleep: "soon" } }).join("\n")).toMatch(/steps.a.sleep/);
    expect(issues({ a: { sleep: "1s", code: "x" } }).join("\n")).toMatch(
      /steps.a.code: a step that waits \(sleep\) runs no code/,
    );
    expect(issues({ a: { sleep: "1s", wait_for: { signal: "x" } } }).join("\n")).toMatch(
      /a step waits one way/,
    );
    expect(issues({ a: { until: "tomorrow" } }).join("\n")).toMatch(
      /steps.a.until: "tomorrow" is not an RFC 3339 time/,
    );
    expect(issues({ a: { wait_for: { signal: "bad name" } } }).join("\n")).toMatch(/steps.a.wait_for.signal/);
    expect(issues({ a: { approval: { timeout: "1 hour" } } }).join("\n")).toMatch(/steps.a.approval/);
    expect(issues({ a: { sleep: "1s", for_each: "[1]" } }).join("\n")).toMatch(/'for_each' does not apply/);
  });
});

describe("a sleep survives its process killed with SIGKILL", () => {
  it("resumed before its wake time, it waits only the rest; its start is kept", async () => {
    const home = mkdtempSync(join(tmpdir(), "sf-wait-kill-"));
    const file = join(home, "nap.yaml");
    writeFileSync(
      file,
      'name: nap\nsteps:\n  nap:\n    sleep: "3s"\n  after:\n    language: lua\n    depends_on: [nap]\n    code: "function run() return 1 end"\n',
    );
    const env = { ...process.env, NO_COLOR: "1", SANDFLOW_HOME: home };
    const child = spawn(process.execPath, ["bin/sandflow.js", "run", file, "--progress", "plain"], {
      cwd: root,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let err = "";
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`nap never started: ${err}`)), 60_000);
      child.stderr?.on("data", (c) => {
        err += c;
        if (err.includes("nap: sleeping 3.00 s")) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    const startedAt = Date.now();
    await sleep(500);
    const exited = new Promise((r) => child.once("exit", r));
    child.kill("SIGKILL");
    await exited;
    const listed = spawnSync(process.execPath, ["bin/sandflow.js", "runs", "--json"], {
      cwd: root,
      env,
      encoding: "utf8",
    });
    const runId = JSON.parse(listed.stdout).runs[0].runId as string;
    const resumed = spawnSync(
      process.execPath,
      ["bin/sandflow.js", "resume", runId, "--json", "--progress", "none"],
      {
        cwd: root,
        env,
        encoding: "utf8",
      },
    );
    expect(resumed.status, resumed.stderr).toBe(0);
    const report = JSON.parse(resumed.stdout);
    expect(report.status).toBe("succeeded");
    const wokeAt = report.steps.nap.finishedAt;
    // The wake time is the first start plus 3 s, not the resume (1 s or more later) plus 3 s.
    expect(report.steps.nap.startedAt).toBeLessThanOrEqual(startedAt);
    expect(wokeAt - report.steps.nap.startedAt).toBeGreaterThanOrEqual(2990);
    expect(wokeAt - startedAt).toBeLessThan(3500);
  });
});

describe("signals between processes", () => {
  it("a plain 'sandflow run' takes a signal sent by 'sandflow signal' from another process", async () => {
    const home = mkdtempSync(join(tmpdir(), "sf-signal-cli-"));
    const file = join(home, "gate.yaml");
    writeFileSync(
      file,
      'name: gate\nsteps:\n  go:\n    wait_for: {signal: go, timeout: "60s"}\n  after:\n    language: lua\n    depends_on: [go]\n    code: "function run(inputs) return inputs.go.n * 2 end"\n',
    );
    const env = { ...process.env, NO_COLOR: "1", SANDFLOW_HOME: home };
    const child = spawn(process.execPath, ["bin/sandflow.js", "run", file, "--json", "--progress", "plain"], {
      cwd: root,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    child.stdout?.on("data", (c) => (out += c));
    child.stderr?.on("data", (c) => (err += c));
    const exited = new Promise<number | null>((r) => child.once("exit", r));
    for (let i = 0; i < 300 && !err.includes("go: waiting"); i++) await sleep(100);
    const runId = /^run (\S+): gate/m.exec(err)?.[1] ?? "";
    // The progress and `sandflow show` say what the run waits for and how to send it.
    expect(err).toContain(
      `go: waiting for signal go (at most 1 min 0 s); send it with: sandflow signal ${runId.slice(0, 8)} go --data JSON\n`,
    );
    const shown = spawnSync(process.execPath, ["bin/sandflow.js", "show", runId], {
      cwd: root,
      env,
      encoding: "utf8",
    });
    expect(shown.stdout).toMatch(
      new RegExp(
        `● go +wait +- +waits for signal go until [0-9: -]+ UTC: sandflow signal ${runId.slice(0, 8)} go --data JSON\n`,
      ),
    );
    expect(shown.stdout).toMatch(/gate: waiting for [0-9.]+ m?s so far \(1 running, 1 pending\)/);
    const sent = spawnSync(
      process.execPath,
      ["bin/sandflow.js", "signal", runId.slice(0, 8), "go", "--data", '{"n": 21}', "--id", "first"],
      { cwd: root, env, encoding: "utf8" },
    );
    expect(sent.status, sent.stderr).toBe(0);
    expect(sent.stdout).toContain(`sent signal go (first) to run ${runId}`);
    expect(await exited).toBe(0);
    expect(JSON.parse(out).steps.after.output).toBe(42);
  });
});
