/**
 * Attacks that try to stall the engine for good: code that runs outside any step (a Lua
 * finalizer run when an interpreter is closed, a Python callback on a JavaScript timer)
 * and hostile Lua workflow files (through the evaluator the engine uses, a worker thread with
 * a wall-clock limit, and through the in-thread one). Each runs in a child process
 * (test/fixtures/security/stall-probe.mjs, on the built dist/) killed at its deadline, so a
 * stall fails the test instead of hanging the suite.
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { SHOW_HOLES } from "./attack-runner.js";

const PROBE = fileURLToPath(new URL("../fixtures/security/stall-probe.mjs", import.meta.url));

interface ProbeResult {
  /** The probe's stderr (the engine's, and the pool process's, inherited), first 1 MB. */
  readonly stderr: string;
  readonly finished: boolean;
  readonly ok: boolean;
  readonly detail: string;
  readonly ms: number;
}

/** Runs one probe; kills it (and its workers) at the deadline. */
function runProbe(name: string, deadlineMs: number): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const child = spawn(process.execPath, [PROBE, name], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (chunk: string) => {
      if (err.length < 1 << 20) err += chunk;
    });
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (chunk: string) => {
      out += chunk;
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), deadlineMs);
    child.on("exit", () => {
      clearTimeout(timer);
      const line = out.split("\n").find((l) => l.startsWith("{"));
      const parsed = line ? (JSON.parse(line) as { ok: boolean; detail: string }) : undefined;
      resolve({
        stderr: err,
        finished: parsed !== undefined,
        ok: parsed?.ok ?? false,
        detail: parsed?.detail ?? `no answer within ${deadlineMs} ms (killed)`,
        ms: Date.now() - t0,
      });
    });
  });
}

interface StallAttack {
  readonly probe: string;
  readonly title: string;
  readonly deadlineMs: number;
  readonly hole?: string;
  /** Text that must not reach the host's stderr. */
  readonly notOnStderr?: string;
  /** What the probe's answer must say (e.g. that the file was refused). */
  readonly detail?: RegExp;
  /** Nothing of the host (a JavaScript stack trace, host paths) may reach the host's stderr. */
  readonly hostSilent?: boolean;
}

/** What a Pyodide fatal error would show of the host. */
const HOST_TRACES = [
  "Pyodide has suffered",
  "fatal error",
  "RangeError",
  "wasm-function",
  "    at ",
  "file://",
  process.cwd(),
];
const fatal =
  /^StepRuntimeError: the python interpreter failed: Pyodide failed fatally \(C code overflowed the stack, say\); the interpreter is replaced; victim succeeded$/;

const refused = /^WorkflowLoadError/;

const STALLS: readonly StallAttack[] = [
  {
    probe: "lua-gc-finalizer",
    title: "a Lua __gc finalizer that loops, run when the next run replaces the interpreter",
    deadlineMs: 20_000,
  },
  {
    probe: "python-timer-callback",
    title:
      "a Python callback on a JavaScript timer (Pyodide's scheduleCallback found by a gc walk) that loops after the step ended",
    deadlineMs: 20_000,
  },
  {
    probe: "lua-workflow-gc-finalizer",
    title: "a Lua workflow file whose __gc finalizer loops when the evaluator closes the state",
    deadlineMs: 15_000,
  },
  {
    probe: "lua-workflow-pattern-bomb",
    title: "a Lua workflow file with a pattern-matching bomb (C code, no instruction hook)",
    deadlineMs: 15_000,
    detail: refused,
  },
  {
    probe: "lua-workflow-coroutine-switches",
    title:
      "a Lua workflow file that switches coroutines in a loop (few instructions, much C work per instruction)",
    deadlineMs: 15_000,
    detail: refused,
  },
  {
    probe: "lua-workflow-c-heavy-loop",
    title: "a Lua workflow file that calls string.rep of 10 MB in a loop",
    deadlineMs: 15_000,
    detail: refused,
  },
  {
    probe: "lua-workflow-quadratic-key-scan",
    title: 'a 980 KB Lua workflow file of "steps={" repeated (the duplicate-key scan before evaluation)',
    deadlineMs: 15_000,
  },
  {
    probe: "python-fatal-to-host-stderr",
    title:
      "a Python step that makes Pyodide fail fatally (wasm stack overflow): the step fails with the fixed message, the engine survives, nothing of the step or the host reaches the host's stderr",
    deadlineMs: 40_000,
    notOnStderr: "SANDFLOW_STDERR_MARKER_7f3a",
    detail: fatal,
    hostSilent: true,
  },
  {
    probe: "python-fatal-thread",
    title: 'the same fatal error with isolation: "thread" (the workers in the engine\'s own process)',
    deadlineMs: 40_000,
    notOnStderr: "SANDFLOW_STDERR_MARKER_7f3a",
    detail: fatal,
    hostSilent: true,
  },
  {
    probe: "python-fatal-repr",
    title: "a fatal error through C code between Python frames (a __repr__ that calls repr on itself)",
    deadlineMs: 40_000,
    detail: fatal,
    hostSilent: true,
  },
  {
    probe: "lua-workflow-budget-control",
    title: "a Lua workflow file with a plain endless loop (control: the instruction budget stops it)",
    deadlineMs: 30_000,
    detail: refused,
  },
];

/** Starts every probe, two at a time (each stalled probe spins a core until killed). */
function runAll(attacks: readonly StallAttack[]): Map<string, Promise<ProbeResult>> {
  const results = new Map<string, Promise<ProbeResult>>();
  let chain: Promise<unknown>[] = [Promise.resolve(), Promise.resolve()];
  attacks.forEach((attack, i) => {
    const lane = i % chain.length;
    const result = (chain[lane] as Promise<unknown>).then(() => runProbe(attack.probe, attack.deadlineMs));
    chain = chain.map((c, j) => (j === lane ? result : c));
    results.set(attack.probe, result);
  });
  return results;
}

describe("attacks that try to stall the engine for good (each in a child process)", () => {
  let results: Map<string, Promise<ProbeResult>>;
  beforeAll(() => {
    results = runAll(STALLS);
  });
  for (const attack of STALLS) {
    const body = async () => {
      const r = (await results.get(attack.probe)) as ProbeResult;
      expect(r.finished, `${attack.probe}: ${r.detail}`).toBe(true);
      expect(r.ok, `${attack.probe}: ${r.detail}`).toBe(true);
      if (attack.detail) expect(r.detail).toMatch(attack.detail);
      if (attack.notOnStderr)
        expect(r.stderr, "step text reached the host's stderr").not.toContain(attack.notOnStderr);
      if (attack.hostSilent)
        for (const trace of HOST_TRACES) expect(r.stderr, "the host's stderr").not.toContain(trace);
    };
    const timeout = 180_000;
    if (attack.hole && !SHOW_HOLES) it.fails(`${attack.title} (HOLE: ${attack.hole})`, body, timeout);
    else it(attack.title, body, timeout);
  }
});
