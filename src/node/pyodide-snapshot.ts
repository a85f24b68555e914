/**
 * The Pyodide memory snapshot workers start from (about 0.2 s instead of 2-3 s), in Node:
 * kept as a file in the cache folder, made in a worker thread. The rule (the key, the
 * check of a stored one, make on a miss) is src/pool/snapshot-cache.ts.
 */
import {
  closeSync,
  fstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import { version as pyodideVersion } from "pyodide";
import { SnapshotCache, type SnapshotStorage, type StoredSnapshot } from "../pool/snapshot-cache.js";
import { pyodideSnapshotKey, SNAPSHOT_KEY } from "../protocol/pyodide-snapshot.js";
import { workerEntry } from "./package-paths.js";

/** The snapshot's file name: changes when the pyodide version or the prelude changes. */
export function snapshotFileName(): string {
  return `${pyodideSnapshotKey(pyodideVersion)}.snap`;
}

/** The first 8 bytes and the size of the file at `path`; undefined when it cannot be read. */
function fileHead(path: string): StoredSnapshot<string> | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(path, "r");
    const head = new Uint8Array(8);
    const n = readSync(fd, head, 0, 8, 0);
    return { entry: path, head: head.subarray(0, n), size: fstatSync(fd).size };
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * How old another key's snapshot (or a write left by a killed process) must be before a new
 * snapshot's write removes it. Snapshots are 30 MB, and each upgrade of pyodide or of the
 * prelude makes one under a new key; the age keeps two versions of sandflow that share a
 * cache folder from deleting each other's snapshot on every run.
 */
export const STALE_SNAPSHOT_MS = 3_600_000;

/** The `.snap` files of other keys and the `.tmp` leftovers in `dir` older than `STALE_SNAPSHOT_MS`. */
function pruneStale(dir: string, keep: string, now: number): void {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    const key = name.replace(/\.snap(\.\d+\.\d+\.tmp)?$/, "");
    if (key === name || !SNAPSHOT_KEY.test(key) || name === `${keep}.snap`) continue;
    try {
      const path = join(dir, name);
      if (now - statSync(path).mtimeMs > STALE_SNAPSHOT_MS) rmSync(path, { force: true });
    } catch {
      // Gone already, or not ours to remove: it only costs disk.
    }
  }
}

/**
 * Snapshots as files `<key>.snap` in `dir`, written whole or not at all (a rename). Writing
 * one removes the stale snapshots of other keys (see {@link STALE_SNAPSHOT_MS}).
 */
export function diskSnapshotStorage(dir: string): SnapshotStorage<string> {
  const pathOf = (key: string) => join(dir, `${key}.snap`);
  return {
    get: async (key) => fileHead(pathOf(key)),
    async prepare() {
      try {
        mkdirSync(dir, { recursive: true });
      } catch (e) {
        throw new Error(`could not make the cache folder ${dir}: ${(e as Error).message}`);
      }
    },
    async put(key, bytes) {
      const path = pathOf(key);
      const tmp = `${path}.${process.pid}.${Date.now()}.tmp`;
      try {
        writeFileSync(tmp, bytes);
        renameSync(tmp, path);
      } catch (e) {
        rmSync(tmp, { force: true });
        throw new Error(`could not write the Pyodide snapshot ${path}: ${(e as Error).message}`);
      }
      pruneStale(dir, key, Date.now());
      return path;
    },
    delete: async (key) => rmSync(pathOf(key), { force: true }),
  };
}

/** Makes a snapshot in a worker thread (runtimes/worker/node-snapshot-worker.ts). */
function makeInThread(): Promise<Uint8Array> {
  return new Promise<Uint8Array>((resolve, reject) => {
    const worker = new Worker(workerEntry("node-snapshot-worker"));
    worker.once("message", (bytes: unknown) => {
      if (bytes instanceof Uint8Array) resolve(bytes);
      else reject(new Error("could not make the Pyodide snapshot: the worker sent no bytes"));
    });
    worker.once("error", (e) => reject(new Error(`could not make the Pyodide snapshot: ${e.message}`)));
    worker.once("exit", (code) => {
      reject(new Error(`the Pyodide snapshot worker exited with code ${code} before sending the snapshot`));
    });
  });
}

const caches = new Map<string, SnapshotCache<string>>();

function cacheOf(cacheDir: string): SnapshotCache<string> {
  let cache = caches.get(cacheDir);
  if (!cache) {
    cache = new SnapshotCache({ storage: diskSnapshotStorage(cacheDir), make: makeInThread });
    caches.set(cacheDir, cache);
  }
  return cache;
}

/**
 * The path of the cached snapshot in `cacheDir`, making it first if it is missing or
 * damaged (`onMake` is called when it starts making one).
 */
export function ensurePyodideSnapshot(cacheDir: string, onMake?: () => void): Promise<string> {
  return cacheOf(cacheDir).ensure(pyodideSnapshotKey(pyodideVersion), onMake);
}

/** Drops the cached snapshot of `cacheDir`: it looked whole but a worker could not load it. */
export function discardPyodideSnapshot(cacheDir: string): Promise<void> {
  return cacheOf(cacheDir).discard(pyodideSnapshotKey(pyodideVersion));
}
