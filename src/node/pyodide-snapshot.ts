/**
 * The Pyodide memory snapshot workers start from (about 0.2 s instead of 2-3 s). Made once
 * per pyodide version and prelude, in a worker thread, and cached on disk.
 */
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import { version as pyodideVersion } from "pyodide";
import { PYTHON_PRELUDE } from "../../runtimes/python/python-prelude.js";
import { hashString } from "../core/hash.js";
import { workerEntry } from "./package-paths.js";

/** The snapshot's file name: changes when the pyodide version or the prelude changes. */
export function snapshotFileName(): string {
  return `pyodide-${pyodideVersion}-${hashString(PYTHON_PRELUDE)}.snap`;
}

const building = new Map<string, Promise<string>>();

/** The path of the cached snapshot, making it first if needed. */
export function ensurePyodideSnapshot(cacheDir: string): Promise<string> {
  const path = join(cacheDir, snapshotFileName());
  if (existsSync(path)) return Promise.resolve(path);
  let pending = building.get(path);
  if (!pending) {
    mkdirSync(cacheDir, { recursive: true });
    pending = new Promise<string>((resolve, reject) => {
      const worker = new Worker(workerEntry("node-snapshot-worker"), { workerData: { path } });
      worker.once("message", () => resolve(path));
      worker.once("error", (e) =>
        reject(new Error(`sandflow: could not make the Pyodide snapshot: ${e.message}`)),
      );
      worker.once("exit", (code) => {
        if (code !== 0) reject(new Error(`sandflow: the Pyodide snapshot worker exited with code ${code}`));
      });
    }).finally(() => building.delete(path));
    building.set(path, pending);
  }
  return pending;
}
