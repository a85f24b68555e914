/**
 * The process-level fence: with the default `isolation: "process"` the workers must run
 * in a child process started under Node's permission model (no child processes, no
 * writes, reads of the package and cache only, no code generation from strings) with an
 * empty environment (but fork's IPC variables). Checked from the outside, through /proc.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { defineWorkflow } from "../../src/core/builder.js";
import { securityEngine } from "./attack-runner.js";
import { descendants } from "./security-env.js";

const PROBE = defineWorkflow({
  name: "fence",
  steps: {
    lua: { language: "lua", code: "function run() return 1 end" },
    shell: { language: "shell", code: "echo 2" },
  },
});

interface PoolProcess {
  readonly pid: number;
  readonly argv: string[];
  readonly environ: string;
}

/** The pool processes among this process's descendants. */
function poolProcesses(): PoolProcess[] {
  const out: PoolProcess[] = [];
  for (const pid of descendants()) {
    try {
      const argv = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean);
      if (!argv.some((a) => a.endsWith("pool-server.js"))) continue;
      out.push({ pid, argv, environ: readFileSync(`/proc/${pid}/environ`, "utf8") });
    } catch {
      // The process ended while we looked.
    }
  }
  return out;
}

/** Asserts the fence around the pool process. */
function expectFenced(pools: PoolProcess[]): void {
  expect(pools, "no pool process: the workers run inside the engine's process").toHaveLength(1);
  const [pool] = pools as [PoolProcess];
  expect(pool.argv).toContain("--permission");
  expect(pool.argv).toContain("--disallow-code-generation-from-strings");
  expect(pool.argv.filter((a) => /^--allow-(child-process|fs-write|addons|wasi)/.test(a))).toEqual([]);
  expect(
    pool.argv
      .filter((a) => a.startsWith("--allow-fs-read="))
      .every((a) => !a.endsWith("=/") && !a.endsWith("=*")),
  ).toBe(true);
  // fork() adds its IPC plumbing (NODE_CHANNEL_FD, NODE_CHANNEL_SERIALIZATION_MODE); nothing else.
  const vars = pool.environ.split("\0").filter((v) => v && !v.startsWith("NODE_CHANNEL_"));
  expect(vars).toEqual([]);
}

describe("the process fence around the workers", () => {
  it("createEngine() runs the workers in a fenced child process by default", async () => {
    const engine = securityEngine(undefined, 1);
    try {
      const report = await engine.run(PROBE);
      expect(report.status).toBe("succeeded");
      expectFenced(poolProcesses());
    } finally {
      await engine.close();
    }
    expect(poolProcesses(), "the pool process outlived engine.close()").toEqual([]);
  }, 60_000);

  it('isolation: "thread" keeps the workers in this process', async () => {
    const engine = securityEngine("thread", 1);
    try {
      expect((await engine.run(PROBE)).status).toBe("succeeded");
      expect(poolProcesses()).toEqual([]);
    } finally {
      await engine.close();
    }
  }, 60_000);
});
