/**
 * The CLI's early start of the pool process (src/cli/early-pool.ts): the engine made later
 * from the same options adopts that process and runs its steps there; an engine made from
 * other options stops it and starts its own; a process that ends before any engine adopted
 * its early pool process leaves nothing behind.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { prestartForArgv } from "../../src/cli/early-pool.js";
import { workflow } from "../../src/core/builder.js";
import { createEngine } from "../../src/node/create-engine.js";
import { adoptPoolChild } from "../../src/node/pool-child.js";

const root = new URL("../..", import.meta.url).pathname;
const argv = (...rest: string[]) => ["node", "sandflow", "run", "flow.json", ...rest];
const exited = (child: ChildProcess) =>
  child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve()
    : new Promise<void>((resolve) => child.once("exit", () => resolve()));

afterEach(() => {
  // Whatever a test left unadopted: stopped.
  adoptPoolChild({ serverEntry: "", readablePaths: [], config: {} as never });
});

describe("the early pool process", () => {
  it("is adopted by the engine made from the same options, and runs its steps", async () => {
    const child = prestartForArgv(argv("--threads", "1", "--memory", "256"), {});
    expect(child).toBeDefined();
    const engine = createEngine({ threads: 1, memory: 256, store: false });
    try {
      const report = await engine.run(workflow("early").lua("a", "function run() return 41 + 1 end").build());
      expect(report.status).toBe("succeeded");
      expect(report.steps.a?.output).toBe(42);
    } finally {
      await engine.close();
    }
    // Closed by the engine (exit code 0), not stopped as a stray (a signal).
    await exited(child as ChildProcess);
    expect(child?.signalCode).toBeNull();
    expect(child?.exitCode).toBe(0);
  });

  it("is stopped when the engine's options differ, and the engine starts its own", async () => {
    const child = prestartForArgv(argv("--threads", "2"), {});
    expect(child).toBeDefined();
    const engine = createEngine({ threads: 1, store: false });
    try {
      await exited(child as ChildProcess);
      expect(child?.signalCode).toBe("SIGTERM");
      const report = await engine.run(workflow("own").lua("a", "function run() return 1 end").build());
      expect(report.status).toBe("succeeded");
    } finally {
      await engine.close();
    }
  });

  it("is not started for other commands, remote runs or bad options", () => {
    expect(prestartForArgv(["node", "sandflow", "validate", "flow.json"], {})).toBeUndefined();
    expect(prestartForArgv(argv("--server", "http://127.0.0.1:1"), {})).toBeUndefined();
    expect(prestartForArgv(argv(), { SANDFLOW_SERVER: "http://127.0.0.1:1" })).toBeUndefined();
    expect(prestartForArgv(argv("--remote"), {})).toBeUndefined();
    expect(prestartForArgv(argv("--threads", "0"), {})).toBeUndefined();
    expect(prestartForArgv(argv("--memory=lots"), {})).toBeUndefined();
  });

  it("does not keep a CLI alive that ends first, and exits with it", async () => {
    // The CLI on a file that does not exist: it exits at once with the pool process
    // unadopted. A cache folder of its own names that pool process among all others.
    const cacheDir = mkdtempSync(join(tmpdir(), "sandflow-prestart-"));
    try {
      const cli = spawn(process.execPath, [`${root}bin/sandflow.js`, "run", `${root}no-such-flow.json`], {
        env: { ...process.env, SANDFLOW_CACHE_DIR: cacheDir },
        stdio: ["ignore", "ignore", "pipe"],
      });
      let stderr = "";
      cli.stderr.on("data", (d) => {
        stderr += d;
      });
      const started = Date.now();
      const code = await new Promise<number | null>((resolve) => cli.once("exit", resolve));
      expect(code).toBe(2);
      expect(stderr).toContain("no-such-flow.json");
      expect(Date.now() - started).toBeLessThan(10_000);
      const pools = () =>
        execFileSync("ps", ["-eo", "args="], { encoding: "utf8" })
          .split("\n")
          .filter((l) => l.includes("pool-server.js") && l.includes(`--allow-fs-read=${cacheDir}/`));
      const deadline = Date.now() + 10_000;
      while (pools().length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      expect(pools()).toEqual([]);
    } finally {
      rmSync(cacheDir, { recursive: true, force: true });
    }
  }, 30_000);

  it("is the only pool process of a `sandflow run` (the bundled CLI adopts it)", async () => {
    // bin/sandflow.js starts it through dist/src/node/pool-child.js; the bundled CLI must
    // adopt it through that same module, or the run starts a second pool process.
    const cacheDir = mkdtempSync(join(tmpdir(), "sandflow-prestart-"));
    const flow = join(cacheDir, "nap.json");
    writeFileSync(
      flow,
      JSON.stringify({ name: "nap", steps: { a: { language: "shell", code: "sleep 2" } } }),
    );
    try {
      const cli = spawn(
        process.execPath,
        [`${root}bin/sandflow.js`, "run", flow, "--no-store", "--progress", "plain"],
        { env: { ...process.env, SANDFLOW_CACHE_DIR: cacheDir }, stdio: ["ignore", "ignore", "pipe"] },
      );
      let stderr = "";
      cli.stderr.on("data", (d) => {
        stderr += d;
      });
      const exit = new Promise<number | null>((resolve) => cli.once("exit", resolve));
      const deadline = Date.now() + 20_000;
      while (!stderr.includes("a: started") && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 50));
      expect(stderr).toContain("a: started");
      const pools = execFileSync("ps", ["-eo", "ppid=,args="], { encoding: "utf8" })
        .split("\n")
        .filter((l) => l.includes("pool-server.js") && l.includes(`--allow-fs-read=${cacheDir}/`));
      expect(pools).toHaveLength(1);
      expect(pools[0]?.trim().split(/\s+/)[0]).toBe(String(cli.pid));
      expect(await exit).toBe(0);
    } finally {
      rmSync(cacheDir, { recursive: true, force: true });
    }
  }, 30_000);

  it("exits quietly when its host goes while it starts (no EPIPE stack trace on the terminal)", async () => {
    // A host that forks the pool process and exits at once, as a CLI does on a bad store
    // file: the pool process's "ready" can meet a closed channel mid-write. Its stderr is
    // the host's, so anything it printed ends up here ('close' waits for it to exit).
    const host = `
      import { fork } from "node:child_process";
      const child = fork(${JSON.stringify(`${root}dist/src/node/pool-server.js`)},
        [JSON.stringify({ threads: 1, workerData: {}, pool: {} })],
        { stdio: ["ignore", "ignore", "inherit", "ipc"], serialization: "advanced" });
      child.unref();
      child.channel?.unref();
      setTimeout(() => process.exit(0), Number(process.argv[2]));`;
    const dir = mkdtempSync(join(tmpdir(), "sandflow-host-"));
    const script = join(dir, "host.mjs");
    writeFileSync(script, host);
    const runs = [40, 60, 80, 100, 120, 140, 40, 60, 80, 100, 120, 140].map(
      (delay) =>
        new Promise<string>((resolve) => {
          const child = spawn(process.execPath, [script, String(delay)], {
            stdio: ["ignore", "ignore", "pipe"],
          });
          let stderr = "";
          child.stderr.on("data", (d) => {
            stderr += d;
          });
          child.on("close", () => resolve(stderr));
        }),
    );
    try {
      expect((await Promise.all(runs)).join("")).toBe("");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it("agrees with the engine's defaults when the run sets no options", async () => {
    const child = prestartForArgv(argv(), {});
    const engine = createEngine({ store: false });
    await engine.close();
    await exited(child as ChildProcess);
    expect(child?.signalCode).toBeNull();
    expect(child?.exitCode).toBe(0);
  });
});
