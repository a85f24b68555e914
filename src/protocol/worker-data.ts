/**
 * What a host passes to each of its Node worker threads when it starts them (piscina's
 * `workerData`), and to the isolated pool process that starts them. No zod here: worker
 * code imports this file.
 */
import type { SnapshotShare } from "./pyodide-snapshot.js";

/** What the pool passes to each worker. */
export interface NodeWorkerData {
  /** Path of the cached Pyodide memory snapshot, if one exists. */
  readonly pyodideSnapshotPath?: string;
  /** Shared buffers holding one copy of the snapshot for every worker of the process. */
  readonly snapshotShare?: SnapshotShare;
  /** Path of busybox.wasm for shell steps. */
  readonly busyboxWasmPath?: string;
  /** busybox.wasm compiled once by the process starting the workers (else each reads the file). */
  readonly busyboxModule?: WebAssembly.Module;
}
