/**
 * A sub-workflow survives its process killed with SIGKILL: `sandflow resume` of the parent
 * continues the child run it had started (same run, its finished steps kept, its sleep
 * counted from its first start) instead of starting a second one.
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const root = new URL("../../", import.meta.url).pathname;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("a sub-workflow whose process was killed", () => {
  it("is continued, not started again, when its parent is resumed", async () => {
    const home = mkdtempSync(join(tmpdir(), "sf-sub-kill-"));
    const file = join(home, "parent.yaml");
    writeFileSync(
      file,
      "name: parent\nsteps:\n  child:\n    workflow: child.yaml\n    params: { n: '7' }\n  after:\n    language: lua\n    depends_on: [child]\n    code: \"function run(inputs) return inputs.child.last * 2 end\"\n",
    );
    writeFileSync(
      join(home, "child.yaml"),
      'name: child\nparams:\n  n: { type: integer }\nsteps:\n  first:\n    language: lua\n    code: "function run() return sandflow.params.n end"\n  nap:\n    sleep: "2s"\n    depends_on: [first]\n  last:\n    language: lua\n    depends_on: [nap]\n    code: "function run(inputs) return sandflow.params.n + 1 end"\n',
    );
    const env = { ...process.env, NO_COLOR: "1", SANDFLOW_HOME: home };
    const cli = (...args: string[]) =>
      spawnSync(process.execPath, ["bin/sandflow.js", ...args], { cwd: root, env, encoding: "utf8" });
    const run = spawn(process.execPath, ["bin/sandflow.js", "run", file, "--progress", "plain"], {
      cwd: root,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let err = "";
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the child never started: ${err}`)), 60_000);
      run.stderr?.on("data", (c) => {
        err += c;
        if (err.includes("child: started")) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    const runs = () =>
      JSON.parse(cli("runs", "--json", "--limit", "10").stdout).runs as { runId: string; workflow: string }[];
    let childId = "";
    let napStarted = 0;
    for (let i = 0; i < 300 && !napStarted; i++) {
      await sleep(100);
      childId ||= runs().find((r) => r.workflow === "child")?.runId ?? "";
      const shown = childId ? cli("show", childId, "--json") : undefined;
      if (shown?.status === 0) napStarted = JSON.parse(shown.stdout).steps.nap.startedAt ?? 0;
    }
    expect(napStarted, "the child run's nap started before the kill").toBeGreaterThan(0);
    const exited = new Promise((r) => run.once("exit", r));
    run.kill("SIGKILL");
    await exited;
    const parentId = runs().find((r) => r.workflow === "parent")?.runId as string;

    const resumed = cli("resume", parentId, "--json", "--progress", "none");
    expect(resumed.status, resumed.stderr).toBe(0);
    const report = JSON.parse(resumed.stdout);
    expect(report.status).toBe("succeeded");
    expect(report.steps.child.output).toEqual({ last: 8 });
    expect(report.steps.after.output).toBe(16);
    expect(report.steps.child.stdout).toContain(`run ${childId} succeeded`);

    expect(
      runs()
        .filter((r) => r.workflow === "child")
        .map((r) => r.runId),
    ).toEqual([childId]);
    const child = JSON.parse(cli("show", childId, "--json").stdout);
    expect(child.parentRun).toBe(parentId);
    expect(child.steps.first.attempts).toBe(1);
    // The child's own journal went on: its nap ran again as attempt 2, 2 s after its first start.
    expect(child.steps.nap.attempts).toBe(2);
    expect(child.steps.nap.finishedAt - napStarted).toBeGreaterThanOrEqual(1990);
  });
});
