/** sandflow processes of a scale-out test (workers, orchestrators) on the suite's database. */
import { type ChildProcess, spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { JournalEntry } from "../../src/core/durable/journal.js";
import type { PostgresStore } from "../../src/node/postgres-store.js";

/** A running sandflow process and what it printed. */
export class Proc {
  readonly child: ChildProcess;
  stdout = "";
  stderr = "";
  readonly exited: Promise<number | null>;

  constructor(args: string[], schema: string) {
    this.child = spawn(process.execPath, ["bin/sandflow.js", ...args], {
      env: { ...process.env, SANDFLOW_PG_SCHEMA: schema },
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.child.stdout?.on("data", (d: Buffer) => {
      this.stdout += d.toString();
    });
    this.child.stderr?.on("data", (d: Buffer) => {
      this.stderr += d.toString();
    });
    this.exited = new Promise((resolve) => this.child.once("exit", (code) => resolve(code)));
  }

  get pid(): number {
    return this.child.pid as number;
  }

  /** Steps this worker claimed and has not finished (by `run/step` name). */
  inHand(): string[] {
    const held = new Set<string>();
    for (const line of this.stderr.split("\n")) {
      const claimed = /claimed (\S+) attempt/.exec(line);
      if (claimed?.[1]) held.add(claimed[1]);
      const done = /(?:finished|dropped the result of) (\S+?)(?::| \()/.exec(line);
      if (done?.[1]) held.delete(done[1]);
    }
    return [...held];
  }

  finishedCount(): number {
    return (this.stderr.match(/finished /g) ?? []).length;
  }

  kill(signal: NodeJS.Signals = "SIGKILL"): void {
    if (this.child.exitCode === null) this.child.kill(signal);
  }
}

/** The exit code of `proc`; fails after `ms` with what every process printed. */
export async function exitOf(proc: Proc, all: readonly Proc[], ms = 150_000): Promise<number | null> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const logs = all.map((p, i) => `--- process ${i} (pid ${p.pid}):\n${p.stderr.slice(-3000)}`).join("\n");
      reject(new Error(`the process did not exit within ${ms} ms:\n${logs}`));
    }, ms);
  });
  try {
    return await Promise.race([proc.exited, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Waits until `check` holds, polling; fails naming `what` after `ms`. */
export async function until(
  what: string,
  check: () => boolean | Promise<boolean>,
  ms = 120_000,
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * A workflow of `n` Lua steps in layers of `width` (each step after the first layer needs
 * one of the layer before), each busy for about `busy` loop rounds.
 */
export function layeredWorkflow(n: number, width: number, busy: number): string {
  const lines = [`name: layered-${n}`, "steps:"];
  for (let i = 0; i < n; i++) {
    lines.push(`  s${i}:`, "    language: lua");
    if (i >= width) lines.push(`    depends_on: [s${i - width}]`);
    lines.push(
      "    code: |",
      `      function run() local x = 0 for i = 1, ${busy} do x = x + i end return ${i} end`,
    );
  }
  const file = join(tmpdir(), `sf-layered-${process.pid}-${n}-${Date.now()}.yaml`);
  writeFileSync(file, `${lines.join("\n")}\n`);
  return file;
}

/** Every step's number of recorded successes in a run's journal. */
export function successes(entries: readonly JournalEntry[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const e of entries) if (e.type === "step-succeeded") out.set(e.stepId, (out.get(e.stepId) ?? 0) + 1);
  return out;
}

/** The task rows of a run: step, claim (delivery), worker, state. */
export async function taskRows(
  store: PostgresStore,
  runId: string,
): Promise<
  { step_id: string; attempt: number; claim: number | null; worker: string | null; state: string }[]
> {
  return store.use("test", async (c) => {
    const r = await c.query(
      `SELECT step_id, attempt, claim, worker, state FROM ${store.table("step_tasks")} WHERE run_id = $1`,
      [runId],
    );
    return r.rows;
  });
}
