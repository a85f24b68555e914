/**
 * `sandflow run --server` whose server dies mid-run: the CLI ends with exit 1 and a
 * message naming the run and what to do, not an uncaught stack trace (its own server here,
 * so killing it disturbs no other test).
 */
import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const root = new URL("../../", import.meta.url).pathname;

/** Everything `child` prints, and a wait for the first match of a pattern in it. */
function output(child: ReturnType<typeof spawn>) {
  let seen = "";
  child.stdout?.on("data", (c) => (seen += c));
  child.stderr?.on("data", (c) => (seen += c));
  return {
    get text() {
      return seen;
    },
    async match(pattern: RegExp, what: string): Promise<string> {
      for (let i = 0; i < 600; i++) {
        const m = pattern.exec(seen);
        if (m) return m[1] ?? m[0];
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`${what} never came: ${seen}`);
    },
  };
}

describe("run --server when the server dies mid-run", () => {
  it("exits 1 with a message naming the run and how to find it again", async () => {
    const home = mkdtempSync(join(tmpdir(), "sf-lost-server-"));
    const file = join(home, "slow.yaml");
    writeFileSync(file, "name: slow\nsteps:\n  nap:\n    sleep: 30s\n");
    const env = { ...process.env, NO_COLOR: "1", SANDFLOW_HOME: home };
    const server = spawn(process.execPath, ["bin/sandflow.js", "serve", "--port", "0", "--threads", "1"], {
      cwd: root,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    try {
      const url = await output(server).match(/(http:\/\/127\.0\.0\.1:\d+)/, "the server's address");
      const run = spawn(
        process.execPath,
        ["bin/sandflow.js", "run", file, "--server", url, "--progress", "plain"],
        {
          cwd: root,
          env,
          stdio: ["ignore", "pipe", "pipe"],
        },
      );
      const printed = output(run);
      const exited = new Promise<number | null>((r) => run.once("exit", r));
      const runId = await printed.match(/run ([0-9a-f-]{36}): slow/, "the run's start");
      await printed.match(/nap: sleeping 30.00 s/, "the nap");
      server.kill("SIGKILL");
      expect(await exited).toBe(1);
      const err = printed.text;
      expect(err).toContain(`sandflow: lost the server at ${url} while following run ${runId}`);
      expect(err).toContain(`(sandflow show ${runId.slice(0, 8)}, then resume)`);
      expect(err).not.toMatch(/\n\s+at /);
    } finally {
      server.kill("SIGKILL");
    }
  });
});
