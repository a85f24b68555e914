/**
 * The Pyodide memory snapshot workers start from (about 0.2 s instead of 2-3 s). Made once
 * per pyodide version and prelude, in a worker thread, and cached on disk.
 */
import { closeSync, fstatSync, mkdirSync, openSync, readSync } from "node:fs";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import { version as pyodideVersion } from "pyodide";
import { pyodideSnapshotKey } from "../protocol/pyodide-snapshot.js";
import { workerEntry } from "./package-paths.js";

/** The snapshot's file name: changes when the pyodide version or the prelude changes. */
export function snapshotFileName(): string {
  return `${pyodideSnapshotKey(pyodideVersion)}.snap`;
}

const building = new Map<string, Promise<string>>();

/** Magic number at the start of a Pyodide memory snapshot ("\0snp", little-endian). */
const SNAPSHOT_MAGIC = 0x706e7300;
const WASM_PAGE = 65536;

/**
 * Whether the file at `path` has the shape of a whole Pyodide snapshot: its magic number,
 * and a memory image after the header that is a whole number of wasm pages (a truncated
 * or overwritten file fails this; reading the header only keeps the check cheap).
 */
export function snapshotLooksWhole(path: string): boolean {
  let fd: number | undefined;
  try {
    fd = openSync(path, "r");
    const head = Buffer.alloc(8);
    if (readSync(fd, head, 0, 8, 0) !== 8) return false;
    const size = fstatSync(fd).size;
    const headerBytes = head.readUInt32LE(4);
    return (
      head.readUInt32LE(0) === SNAPSHOT_MAGIC &&
      headerBytes >= 8 &&
      headerBytes < size &&
      (size - headerBytes) % WASM_PAGE === 0
    );
  } catch {
    return false;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * The path of the cached snapshot, making it first if it is missing or damaged
 * (`onMake` is called when it starts making one).
 */
export function ensurePyodideSnapshot(cacheDir: string, onMake?: () => void): Promise<string> {
  const path = join(cacheDir, snapshotFileName());
  if (snapshotLooksWhole(path)) return Promise.resolve(path);
  let pending = building.get(path);
  if (!pending) {
    onMake?.();
    pending = new Promise<string>((resolve, reject) => {
      try {
        mkdirSync(cacheDir, { recursive: true });
      } catch (e) {
        reject(new Error(`could not make the cache folder ${cacheDir}: ${(e as Error).message}`));
        return;
      }
      const worker = new Worker(workerEntry("node-snapshot-worker"), { workerData: { path } });
      worker.once("message", () => resolve(path));
      worker.once("error", (e) => reject(new Error(`could not make the Pyodide snapshot: ${e.message}`)));
      worker.once("exit", (code) => {
        if (code !== 0) reject(new Error(`the Pyodide snapshot worker exited with code ${code}`));
      });
    }).finally(() => building.delete(path));
    building.set(path, pending);
  }
  return pending;
}
