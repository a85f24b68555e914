import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { Ajv2020 } from "ajv/dist/2020.js";
import { describe, expect, it } from "vitest";

const root = new URL("../../", import.meta.url).pathname;
const KILL_FIXTURE = "test/fixtures/workflows/durable-kill.yaml";
const reportSchema = JSON.parse(readFileSync(`${root}schemas/run-report.schema.json`, "utf8"));
const validateReport = new Ajv2020({ strict: false }).compile(reportSchema);

function sandflow(home: string, ...args: string[]) {
  const r = spawnSync(process.execPath, ["bin/sandflow.js", ...args], {
    cwd: root,
    encoding: "utf8",
    env: { ...process.env, NO_COLOR: "1", SANDFLOW_HOME: home },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Starts a run of the kill fixture and SIGKILLs the CLI while `slow` runs (after `first` succeeded). */
async function killMidRun(home: string, storeArgs: string[]): Promise<void> {
  const child: ChildProcess = spawn(
    process.execPath,
    ["bin/sandflow.js", "run", KILL_FIXTURE, "--progress", "plain", ...storeArgs],
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
  await new Promise((r) => setTimeout(r, 500));
  const exited = new Promise((r) => child.on("exit", r));
  child.kill("SIGKILL");
  await exited;
}

const tempHome = () => mkdtempSync(join(tmpdir(), "sf-home-"));

describe.each([
  ["the default store ($SANDFLOW_HOME)", [] as string[]],
  ["a store given with --store", ["--store", "STORE"]],
])("kill -9 in the middle of a run, then resume, on %s", (_name, storeArgs) => {
  it("finishes the run without running the succeeded step again", async () => {
    const home = tempHome();
    const args = storeArgs.map((a) => (a === "STORE" ? join(home, "elsewhere", "my.db") : a));
    await killMidRun(home, args);

    const list = sandflow(home, "runs", "--json", ...args);
    expect(list.code).toBe(0);
    const runs = JSON.parse(list.stdout).runs;
    expect(runs).toHaveLength(1);
    expect(Object.keys(runs[0]).sort()).toEqual(["finishedAt", "runId", "startedAt", "status", "workflow"]);
    expect(runs[0]).toMatchObject({ workflow: "durable-kill", status: "interrupted", finishedAt: null });
    const runId: string = runs[0].runId;

    const before = JSON.parse(sandflow(home, "show", runId.slice(0, 8), "--json", ...args).stdout);
    expect(validateReport(before)).toBe(true);
    expect(before.status).toBe("interrupted");
    expect(before.steps.first.status).toBe("succeeded");
    expect(before.steps.slow.status).toBe("running");
    expect(before.steps.last.status).toBe("pending");
    // Its time ends where its journal does, not at the moment it is shown.
    const shownAgain = JSON.parse(sandflow(home, "show", runId.slice(0, 8), "--json", ...args).stdout);
    expect(shownAgain.finishedAt).toBe(before.finishedAt);
    expect(before.finishedAt).toBeLessThan(Date.now() - 100);

    const resumed = sandflow(home, "resume", runId.slice(0, 8), "--json", "--progress", "none", ...args);
    expect(resumed.stderr).toBe("");
    expect(resumed.code).toBe(0);
    const report = JSON.parse(resumed.stdout);
    expect(validateReport(report)).toBe(true);
    expect(report.runId).toBe(runId);
    expect(report.status).toBe("succeeded");
    expect(report.startedAt).toBe(before.startedAt);
    for (const field of ["startedAt", "finishedAt", "attempts", "output"])
      expect(report.steps.first[field]).toEqual(before.steps.first[field]);
    expect(report.steps.first.output.attempt).toBe(1);
    expect(report.steps.slow.attempts).toBe(2);
    expect(report.steps.slow.output).toEqual({ note: "written by first", attempt: 2 });
    expect(report.steps.last.output.note).toBe("written by first");

    const after = sandflow(home, "show", runId, "--json", ...args);
    expect(JSON.parse(after.stdout).status).toBe("succeeded");
    const again = sandflow(home, "resume", runId, ...args);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/already succeeded; use rerun to run it again/);
  });
});

describe("store commands", () => {
  it("two CLI runs at once on one store both land, whole", async () => {
    const home = tempHome();
    const run = () =>
      new Promise<number | null>((resolve) => {
        const child = spawn(
          process.execPath,
          ["bin/sandflow.js", "run", "workflows/diamond.lua", "--progress", "none", "--threads", "1"],
          { cwd: root, env: { ...process.env, SANDFLOW_HOME: home }, stdio: "ignore" },
        );
        child.on("exit", resolve);
      });
    expect(await Promise.all([run(), run()])).toEqual([0, 0]);
    const runs = JSON.parse(sandflow(home, "runs", "--json").stdout).runs;
    expect(runs.map((r: { status: string }) => r.status)).toEqual(["succeeded", "succeeded"]);
    for (const r of runs) {
      const report = JSON.parse(sandflow(home, "show", r.runId, "--json").stdout);
      expect(report.steps.report.output).toEqual({ summary: "8 numbers, sum 31, max 9", median: 3.5 });
    }
  });

  it("a corrupt store file or one from a newer sandflow: exit 2, a clear message, no stack trace", () => {
    const home = tempHome();
    const bad = join(home, "bad.db");
    writeFileSync(bad, "garbage ".repeat(1000));
    for (const args of [
      ["runs", "--store", bad],
      ["run", "workflows/diamond.lua", "--store", bad],
    ]) {
      const r = sandflow(home, ...args);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/bad\.db is not a sandflow store, or it is damaged/);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
    const newer = join(home, "newer.db");
    expect(sandflow(home, "run", "workflows/diamond.lua", "--store", newer, "--progress", "none").code).toBe(
      0,
    );
    const db = new DatabaseSync(newer);
    db.exec("PRAGMA user_version = 7");
    db.close();
    const r = sandflow(home, "show", "x", "--store", newer);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/written by a newer sandflow \(store schema 7/);
  });

  it("a --store file that is not there: a run makes it (and its folder), the other commands refuse", () => {
    const home = tempHome();
    const typo = join(home, "no-such-folder", "runs.db");
    for (const args of [
      ["runs", "--store", typo],
      ["show", "x", "--store", typo],
      ["resume", "x", "--store", typo],
      ["cache", "clear", "--store", typo],
    ]) {
      const r = sandflow(home, ...args);
      expect(r.code, args.join(" ")).toBe(2);
      expect(r.stderr).toBe(
        `sandflow: --store ${typo}: there is no store file ${typo} (a run with --store makes one)\n`,
      );
    }
    expect(existsSync(join(home, "no-such-folder"))).toBe(false);
    expect(sandflow(home, "run", "workflows/diamond.lua", "--store", typo, "--progress", "none").code).toBe(
      0,
    );
    expect(JSON.parse(sandflow(home, "runs", "--json", "--store", typo).stdout).runs).toHaveLength(1);
  });

  it("runs, show, rerun --from, cache clear and --no-store as a user types them", () => {
    const home = tempHome();
    expect(sandflow(home, "runs").stdout).toMatch(/^no runs in .*sandflow\.db/);
    const first = sandflow(home, "run", "workflows/diamond.lua", "--json", "--progress", "none");
    const runId = JSON.parse(first.stdout).runId as string;
    expect(sandflow(home, "run", "workflows/diamond.lua", "--no-store", "--progress", "none").code).toBe(0);
    const listed = sandflow(home, "runs");
    expect(listed.stdout.trim().split("\n")).toHaveLength(1);
    expect(listed.stdout).toMatch(new RegExp(`^${runId.slice(0, 8)}\\s+succeeded .* diamond`));
    expect(sandflow(home, "runs", "--status", "failed", "--json").stdout).toMatch(/"runs": \[\]/);
    expect(sandflow(home, "runs", "--status", "bogus").stderr).toMatch(
      /--status must be one of running, waiting, queued, interrupted/,
    );

    const shown = sandflow(home, "show", runId.slice(0, 6));
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toMatch(/diamond: succeeded/);
    expect(sandflow(home, "show", "zzz").stderr).toMatch(/no run 'zzz' in /);

    const rerun = sandflow(
      home,
      "rerun",
      runId.slice(0, 8),
      "--from",
      "stats",
      "--json",
      "--progress",
      "plain",
    );
    expect(rerun.code).toBe(0);
    // The progress says at once which steps it keeps (their results are not shown as to come).
    expect(rerun.stderr.split("\n")[0]).toMatch(
      /^run \S+: diamond \(4 steps; 2 kept from before: fetch, sorted\)$/,
    );
    const report = JSON.parse(rerun.stdout);
    expect(report.rerunOf).toBe(runId);
    expect(report.steps.fetch.reusedFrom).toBe(runId);
    expect(report.steps.sorted.reusedFrom).toBe(runId);
    expect(report.steps.stats.reusedFrom).toBeUndefined();
    expect(report.steps.report.output).toEqual({ summary: "8 numbers, sum 31, max 9", median: 3.5 });
    expect(sandflow(home, "rerun", runId, "--from", "nope").stderr).toMatch(/has no step 'nope'/);
    expect(sandflow(home, "cache", "clear").stdout).toMatch(/^removed 0 cached step results from /);
    expect(sandflow(home, "help", "rerun").stdout).toMatch(/--from <step>/);
  });

  it("delete deletes one run; prune the runs that finished before its cut-off, after a dry run that deletes nothing", () => {
    const home = tempHome();
    const ran = sandflow(home, "run", "workflows/diamond.lua", "--json", "--progress", "none");
    const runId = JSON.parse(ran.stdout).runId as string;
    expect(sandflow(home, "prune", "--older-than", "1d").stdout).toMatch(/^removed 0 runs finished before /);
    const dry = sandflow(home, "prune", "--older-than", "1ms", "--dry-run");
    expect(dry.stdout).toMatch(
      /^would remove 1 run finished before \S+, 0 expired cached step results and 0 stored files/,
    );
    expect(sandflow(home, "show", runId).code).toBe(0);
    // One run by its id prefix; then it is gone.
    const other = JSON.parse(
      sandflow(home, "run", "workflows/diamond.lua", "--json", "--progress", "none").stdout,
    ).runId as string;
    expect(sandflow(home, "delete", other.slice(0, 8)).stdout).toBe(
      `deleted run ${other} from ${join(home, "sandflow.db")}\n`,
    );
    expect(sandflow(home, "delete", other).stderr).toMatch(/no run /);
    const pruned = JSON.parse(sandflow(home, "prune", "--older-than", "1ms", "--json").stdout);
    expect(pruned).toMatchObject({ runs: 1, cacheEntries: 0, blobs: 0, dryRun: false });
    expect(sandflow(home, "show", runId).stderr).toMatch(/no run /);
    const bad = sandflow(home, "prune", "--older-than", "a week");
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--older-than must be a duration such as 30d, 12h or 1h30m, got 'a week'/);
    expect(sandflow(home, "prune").stderr).toMatch(/required option '--older-than <duration>'/);
  });
});

describe("concurrency_key across processes", () => {
  const files = (home: string, sleep: string) => {
    const file = join(home, "single.yaml");
    writeFileSync(
      file,
      `name: single\nconcurrency_key: deploy\nmax_runs: 1\nsteps:\n  nap:\n    sleep: "${sleep}"\n`,
    );
    const quick = join(home, "quick.yaml");
    writeFileSync(
      quick,
      'name: quick\nconcurrency_key: deploy\nsteps:\n  a:\n    language: lua\n    code: "function run() return 1 end"\n',
    );
    return { file, quick };
  };
  /** Starts `sandflow run FILE --json` in the background; resolves once its sleep step sleeps. */
  const startHolder = async (home: string, file: string) => {
    const child = spawn(process.execPath, ["bin/sandflow.js", "run", file, "--progress", "plain", "--json"], {
      cwd: root,
      env: { ...process.env, NO_COLOR: "1", SANDFLOW_HOME: home },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let err = "";
    let out = "";
    child.stderr?.on("data", (c) => (err += c));
    child.stdout?.on("data", (c) => (out += c));
    const exited = new Promise((r) => child.once("exit", r));
    for (let i = 0; i < 300 && !err.includes("nap: sleeping"); i++)
      await new Promise((r) => setTimeout(r, 100));
    expect(err).toContain("nap: sleeping");
    const report = async () => {
      await exited;
      return JSON.parse(out);
    };
    return { child, exited, report };
  };

  it("a run whose key a run of another process holds waits until that run ends (max_runs holds across processes on one store)", async () => {
    const home = tempHome();
    const { file, quick } = files(home, "3s");
    const holder = await startHolder(home, file);
    try {
      // Without a store nothing is shared: it runs at once.
      const unrecorded = sandflow(home, "run", quick, "--progress", "none", "--no-store");
      expect(unrecorded.stderr).toBe("");
      const queued = sandflow(home, "run", quick, "--progress", "plain", "--json");
      expect(queued.code).toBe(0);
      expect(queued.stderr.split("\n")[0]).toMatch(
        /^run \S+: queued: a run holds its place \(concurrency_key 'deploy', max_runs 1\); it starts when that run ends$/,
      );
      const first = await holder.report();
      expect(first.status).toBe("succeeded");
      const second = JSON.parse(queued.stdout);
      expect(second.steps.a.startedAt).toBeGreaterThanOrEqual(first.finishedAt);
    } finally {
      holder.child.kill("SIGKILL");
      await holder.exited;
    }
  });

  it("a holder whose process was killed holds nothing: the next run of the key starts at once", async () => {
    const home = tempHome();
    const { file, quick } = files(home, "60s");
    const holder = await startHolder(home, file);
    holder.child.kill("SIGKILL");
    await holder.exited;
    const started = Date.now();
    const next = sandflow(home, "run", quick, "--progress", "none");
    expect(next.code).toBe(0);
    expect(next.stderr).toBe("");
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(sandflow(home, "runs").stdout).toMatch(/interrupted .* single\n/);
  });
});
