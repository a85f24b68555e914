/**
 * The stack that runs steps in worker threads, built in one place: the batching layer
 * ({@link BatchingPool}) over piscina's threads ({@link PiscinaTransport}) running
 * runtimes/worker/node-worker. The isolated pool process builds it (the default), and the
 * engine's own process does with `isolation: "thread"`.
 */
import { readFileSync } from "node:fs";
import { BatchingPool } from "../pool/batching-pool.js";
import type { PoolServerConfig } from "../protocol/pool-process.js";
import { createSnapshotShare } from "../protocol/pyodide-snapshot.js";
import type { NodeWorkerData } from "../protocol/worker-data.js";
import { workerEntry } from "./package-paths.js";
import { PiscinaTransport } from "./piscina-transport.js";

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

/** Worker threads behind a batching pool, as `config` says. */
export function createThreadPool(config: PoolServerConfig): BatchingPool {
  const workerData: NodeWorkerData = {
    ...config.workerData,
    snapshotShare: createSnapshotShare(),
  };
  const busyboxModule = compileBusybox(config.workerData.busyboxWasmPath);
  return new BatchingPool(
    new PiscinaTransport({
      filename: workerEntry("node-worker"),
      threads: config.threads,
      workerData: busyboxModule ? { ...workerData, busyboxModule } : workerData,
    }),
    config.pool,
  );
}
