/**
 * The stack that runs steps in worker threads, built in one place: the batching layer
 * ({@link BatchingPool}) over piscina's threads ({@link PiscinaTransport}) running
 * runtimes/worker/node-worker. The isolated pool process builds it (the default), and the
 * engine's own process does with `isolation: "thread"`.
 */
import { readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { BatchingPool, type BatchingPoolOptions } from "../pool/batching-pool.js";
import type { PoolServerConfig } from "../protocol/pool-process.js";
import { createSnapshotShare } from "../protocol/pyodide-snapshot.js";
import { withMemoryMax } from "../protocol/wasm-memory-max.js";
import type { CompiledPyodide, NodeWorkerData } from "../protocol/worker-data.js";
import { pyodideWasmPath, workerEntry } from "./package-paths.js";
import { PiscinaTransport } from "./piscina-transport.js";

/** BatchingPool's default of `prepareMemoryBytes`: the limit of a step that sets none. */
const DEFAULT_PREPARE_MEMORY = 512 * 1048576;

/**
 * busybox.wasm compiled here, once per process, and handed to every worker (a compiled
 * module crosses threads without being compiled again); undefined when the file cannot be
 * read, and a shell step then reports it.
 */
function compileBusybox(path: string | undefined): WebAssembly.Module | undefined {
  if (!path) return undefined;
  try {
    return new WebAssembly.Module(readFileSync(path));
  } catch {
    return undefined;
  }
}

/**
 * pyodide.asm.wasm compiled here, once per process, with the memory maximum of the default
 * step limit: V8 shares a module's compiled code between the threads that instantiate it,
 * so what one worker's interpreter tiers up serves all (compiled in each worker, every
 * worker optimised the same hot functions again, which cost CPU-bound Python fan-out about
 * a tenth of its speedup). Asynchronous, so the workers start meanwhile; undefined when it
 * cannot be compiled (the file is missing, or the limit is below what the interpreter
 * needs), and the workers then compile their own.
 */
export async function compilePyodide(
  memoryBytes: number,
  path: string = pyodideWasmPath(),
): Promise<CompiledPyodide | undefined> {
  try {
    const bytes = await readFile(path);
    return {
      memoryBytes,
      module: await WebAssembly.compile(withMemoryMax(bytes, memoryBytes) as BufferSource),
    };
  } catch {
    return undefined;
  }
}

/** The worker threads of {@link createThreadPool}, each handed the modules compiled here. */
export function createThreadTransport(config: PoolServerConfig): PiscinaTransport {
  const workerData: NodeWorkerData = {
    ...config.workerData,
    snapshotShare: createSnapshotShare(),
  };
  const busyboxModule = compileBusybox(config.workerData.busyboxWasmPath);
  const memoryBytes = (config.pool as BatchingPoolOptions).prepareMemoryBytes ?? DEFAULT_PREPARE_MEMORY;
  return new PiscinaTransport({
    filename: workerEntry("node-worker"),
    threads: config.threads,
    workerData: busyboxModule ? { ...workerData, busyboxModule } : workerData,
    session: compilePyodide(memoryBytes).then((pyodideModule) => (pyodideModule ? { pyodideModule } : {})),
  });
}

/** Worker threads behind a batching pool, as `config` says. */
export function createThreadPool(config: PoolServerConfig): BatchingPool {
  return new BatchingPool(createThreadTransport(config), config.pool);
}
