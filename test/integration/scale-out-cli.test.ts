import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const root = new URL("../../", import.meta.url).pathname;
const home = mkdtempSync(join(tmpdir(), "sf-scale-cli-"));
// Nothing listens on port 1: the store cannot be reached.
const NOWHERE = "postgres://user:hunter2@127.0.0.1:1/db";

function sandflow(...args: string[]) {
  const r = spawnSync(process.execPath, ["bin/sandflow.js", ...args], {
    cwd: root,
    encoding: "utf8",
    env: { ...process.env, NO_COLOR: "1", SANDFLOW_HOME: home },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("scale-out CLI: bad usage is named, no Postgres needed", () => {
  it("worker needs a postgres:// store", () => {
    expect(sandflow("worker").code).toBe(2);
    const r = sandflow("worker", "--store", join(home, "x.db"));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--store postgres:\/\/\.\.\. is required/);
  });

  it("run --remote needs a postgres:// store, a heartbeat of 10 s or more, and no --secret or --threads", () => {
    const wf = "workflows/diamond.lua";
    expect(sandflow("run", wf, "--remote").stderr).toMatch(/--remote needs --store postgres:\/\//);
    expect(sandflow("run", wf, "--remote", "--store", NOWHERE, "--heartbeat", "5").stderr).toMatch(
      /--heartbeat must be at least 10 seconds/,
    );
    const secret = spawnSync(
      process.execPath,
      ["bin/sandflow.js", "run", wf, "--remote", "--store", NOWHERE, "--secret", "TOKEN"],
      { cwd: root, encoding: "utf8", env: { ...process.env, TOKEN: "x", SANDFLOW_HOME: home } },
    );
    expect(secret.status).toBe(2);
    expect(secret.stderr).toMatch(/--secret is not available with --remote/);
    expect(sandflow("run", wf, "--remote", "--store", NOWHERE, "--threads", "2").stderr).toMatch(
      /--threads has no effect with --remote/,
    );
  });

  it("an unreachable database is named, without its password, and fails in seconds", () => {
    const t0 = Date.now();
    for (const args of [
      ["run", "workflows/diamond.lua", "--remote", "--store", NOWHERE],
      ["runs", "--store", NOWHERE],
      ["worker", "--store", NOWHERE],
    ]) {
      const r = sandflow(...args);
      expect(r.code, args.join(" ")).toBe(2);
      expect(r.stderr).toMatch(
        /postgres:\/\/user@127\.0\.0\.1:1\/db: connecting and migrating the schema failed/,
      );
      expect(r.stderr).not.toMatch(/hunter2/);
    }
    expect(Date.now() - t0).toBeLessThan(40_000);
  });
});
