/**
 * Worker thread for the floors (benchmark only). Modes, from workerData.mode:
 * - "echo": answers every message with itself (worker_threads round trip);
 * - "runtimes": makes the three runtimes directly and times `runtime.run` of a trivial
 *   step in a loop, with no dispatcher and no messages;
 * - "dispatcher": loads the real worker entry and times its `handle` on a batch of
 *   trivial steps in this thread (dispatcher + runtime, no messages).
 */
import { readFileSync } from "node:fs";
import { parentPort, workerData } from "node:worker_threads";
import { loadPyodide } from "pyodide";
import { LuaFactory } from "wasmoon";
import { createLuaRuntimeFactory } from "../runtimes/lua/lua-runtime.js";
import { createPythonRuntimeFactory } from "../runtimes/python/python-runtime.js";
import { createShellRuntimeFactory } from "../runtimes/shell/index.js";
import type {
  LanguageRuntime,
  LanguageRuntimeFactory,
  StepInvocation,
} from "../runtimes/worker/language-runtime.js";
import { createControlBlock } from "../src/protocol/control-block.js";
import type { WorkerRequest, WorkerResponse } from "../src/protocol/messages.js";
import { type BenchLanguage, TRIVIAL } from "./workloads.js";

/** What the parent passes. */
export interface FloorWorkerData {
  readonly mode: "echo" | "runtimes" | "dispatcher";
  /** Named as the real worker entry expects (dispatcher mode loads it). */
  readonly pyodideSnapshotPath: string;
  readonly busyboxWasmPath: string;
}

/** A request to time `iterations` trivial steps of `language`, `blocks` times. */
export interface FloorRequest {
  readonly language: BenchLanguage;
  readonly iterations: number;
  readonly blocks: number;
}

const data = workerData as FloorWorkerData;
const port = parentPort;
const MEMORY = 512 * 1048576;
const LIMITS = {
  memoryBytes: MEMORY,
  outputBytes: 1048576,
  resultBytes: 16 * 1048576,
  processes: 64,
  workspaceBytes: 64 * 1048576,
};

function factories(): Record<BenchLanguage, LanguageRuntimeFactory> {
  return {
    python: createPythonRuntimeFactory({
      loadPyodide: (options) => loadPyodide(options),
      snapshot: async () => new Uint8Array(readFileSync(data.pyodideSnapshotPath)),
    }),
    lua: createLuaRuntimeFactory({
      createLuaFactory: async () => {
        const factory = new LuaFactory();
        await factory.getLuaModule();
        return factory;
      },
    }),
    shell: createShellRuntimeFactory({ loadWasm: async () => readFileSync(data.busyboxWasmPath) }),
  };
}

/** Microseconds per step: one figure per block of `iterations` calls, after a warm-up block. */
async function timeBlocks(req: FloorRequest, body: (count: number) => Promise<void>): Promise<number[]> {
  await body(Math.min(req.iterations, 200));
  const out: number[] = [];
  for (let b = 0; b < req.blocks; b++) {
    const t0 = performance.now();
    await body(req.iterations);
    out.push(((performance.now() - t0) * 1000) / req.iterations);
  }
  return out;
}

async function serveRuntimes(): Promise<void> {
  const made = factories();
  const runtimes = new Map<BenchLanguage, LanguageRuntime>();
  const interruptBuffer = new Int32Array(new SharedArrayBuffer(4));
  port?.on("message", async (req: FloorRequest) => {
    let runtime = runtimes.get(req.language);
    if (!runtime) {
      runtime = await made[req.language].create({ memoryBytes: MEMORY });
      runtimes.set(req.language, runtime);
    }
    const inv: StepInvocation = {
      runId: "floor",
      stepId: "s",
      attempt: 1,
      code: TRIVIAL[req.language],
      codeHash: req.language,
      inputsJson: "{}",
      env: {},
      files: {},
      limits: LIMITS,
      emit: () => {},
      interrupted: () => false,
      interruptBuffer,
    };
    const rt = runtime;
    const samples = await timeBlocks(req, async (count) => {
      for (let i = 0; i < count; i++) {
        const outcome = await rt.run(inv);
        if (!outcome.ok) throw new Error(`${req.language} step failed: ${outcome.error.message}`);
      }
    });
    port?.postMessage({ samples, wasmBytes: rt.memoryBytes() });
  });
}

async function serveDispatcher(): Promise<void> {
  const entry = (await import("../runtimes/worker/node-worker.js")) as {
    default: (request: WorkerRequest) => Promise<WorkerResponse>;
  };
  const handle = entry.default;
  let batchId = 1;
  port?.on("message", async (req: FloorRequest) => {
    await handle({ type: "prepare", languages: [req.language], memoryBytes: MEMORY });
    const task = {
      runId: "floor",
      stepId: "s",
      attempt: 1,
      language: req.language,
      code: TRIVIAL[req.language],
      codeHash: req.language,
      inputsJson: "{}",
      env: {},
      files: {},
      limits: LIMITS,
      timeoutMs: 300_000,
    };
    const samples = await timeBlocks(req, async (count) => {
      const tasks = Array.from({ length: count }, () => task);
      const response = await handle({
        type: "batch",
        batchId: batchId++,
        control: createControlBlock(count),
        tasks,
      });
      if (response.type !== "batch-done" || !response.results.every((r) => r.outcome.ok))
        throw new Error(`${req.language} batch failed: ${JSON.stringify(response).slice(0, 300)}`);
    });
    port?.postMessage({ type: "floor", samples });
  });
}

if (data.mode === "echo") port?.on("message", (m: unknown) => port.postMessage(m));
else if (data.mode === "runtimes") await serveRuntimes();
else await serveDispatcher();
port?.postMessage({ type: "ready" });
