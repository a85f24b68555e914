/**
 * The pool compiles pyodide.asm.wasm once per process and hands the module to its workers
 * (V8 then shares the code one worker's interpreter tiers up with all of them): a worker
 * loading Python at the pool's default limit compiles nothing itself; at another limit,
 * or when the pool could not compile the file, it compiles its own as before.
 */
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { defaultCacheDir } from "../../src/node/create-engine.js";
import { BUSYBOX_WASM } from "../../src/node/package-paths.js";
import type { PiscinaTransport } from "../../src/node/piscina-transport.js";
import { ensurePyodideSnapshot } from "../../src/node/pyodide-snapshot.js";
import { compilePyodide, createThreadTransport } from "../../src/node/thread-pool.js";
import type { WorkerResponse } from "../../src/protocol/messages.js";

const MB = 1048576;
let snapshotPath: string;
let transport: PiscinaTransport | undefined;

beforeAll(async () => {
  snapshotPath = await ensurePyodideSnapshot(defaultCacheDir());
}, 120_000);

afterEach(async () => {
  await transport?.close();
  transport = undefined;
});

function workers(threads: number, prepareMemoryBytes: number): PiscinaTransport {
  transport = createThreadTransport({
    threads,
    workerData: { busyboxWasmPath: BUSYBOX_WASM, pyodideSnapshotPath: snapshotPath },
    pool: { prepareMemoryBytes },
  });
  return transport;
}

/** How many interpreter modules the worker that loaded Python for this prepare had compiled itself. */
async function compiledByWorker(t: PiscinaTransport, memoryBytes: number): Promise<number | undefined> {
  const response: WorkerResponse = await t.send({ type: "prepare", languages: ["python"], memoryBytes })
    .response;
  if (response.type !== "prepared") throw new Error(`unexpected response ${response.type}`);
  return response.modulesCompiled;
}

describe("the interpreter module compiled once per pool", () => {
  it("is what every worker loads Python from at the default limit", async () => {
    const t = workers(2, 512 * MB);
    // Two prepares at once keep both workers busy, one each.
    const counts = await Promise.all([compiledByWorker(t, 512 * MB), compiledByWorker(t, 512 * MB)]);
    expect(counts).toEqual([0, 0]);
  }, 60_000);

  it("leaves other limits to the worker, which compiles its own", async () => {
    const t = workers(1, 256 * MB);
    expect(await compiledByWorker(t, 512 * MB)).toBe(1);
  }, 60_000);

  it("is not there when the file cannot be compiled, and workers then compile their own", async () => {
    expect(await compilePyodide(512 * MB, "/nonexistent/pyodide.asm.wasm")).toBeUndefined();
    // Below what the interpreter needs to start: the pool cannot compile it either.
    expect(await compilePyodide(1 * MB)).toBeUndefined();
    const t = workers(1, 1 * MB);
    expect(await compiledByWorker(t, 512 * MB)).toBe(1);
    const given = await compilePyodide(512 * MB);
    expect(given?.memoryBytes).toBe(512 * MB);
    expect(given?.module).toBeInstanceOf(WebAssembly.Module);
  }, 60_000);
});
