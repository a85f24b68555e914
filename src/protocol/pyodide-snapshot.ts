/**
 * The Pyodide memory snapshot as host and workers both see it: its key, and one copy of
 * it for all the workers of a process.
 *
 * The key names the pyodide version and a hash of the prelude the snapshot holds; the Node
 * host names its cache file after it, a browser worker asks its page for it by key.
 *
 * The share: the snapshot is 30 MB; kept by every worker (each new interpreter restores
 * from it) it was 30 MB of every worker's memory. Instead the host hands every worker the
 * same two shared buffers; the first worker that needs the snapshot reads the file into
 * them, the others wait for it and read the same bytes.
 */
import { hashString } from "../core/hash.js";
import { PYTHON_PRELUDE } from "./python-prelude.js";

/** Keys of Pyodide snapshots: the pyodide version and a hash of the prelude. */
export const SNAPSHOT_KEY = /^pyodide-[0-9A-Za-z.+-]{1,40}-[0-9a-f]{14}$/;

let preludeHash: string | undefined;

/** The snapshot's key for `pyodideVersion` (the prelude is hashed once per process). */
export function pyodideSnapshotKey(pyodideVersion: string): string {
  preludeHash ??= hashString(PYTHON_PRELUDE);
  return `pyodide-${pyodideVersion}-${preludeHash}`;
}

/** The shared buffers, made once per pool by the host and passed to every worker. */
export interface SnapshotShare {
  /** Int32 state (0 empty, 1 being read, 2 ready) and Int32 length in bytes. */
  readonly control: SharedArrayBuffer;
  /** Growable: holds the snapshot once a worker has read it. */
  readonly data: SharedArrayBuffer;
}

const EMPTY = 0;
const READING = 1;
const READY = 2;

/** Largest snapshot the share can hold (address space only; memory is used as it grows). */
const MAX_SNAPSHOT_BYTES = 1024 * 1048576;

type GrowableSharedArrayBuffer = SharedArrayBuffer & { grow(bytes: number): void };

/** Makes the shared buffers for one pool of workers (host side). */
export function createSnapshotShare(): SnapshotShare {
  const options = { maxByteLength: MAX_SNAPSHOT_BYTES };
  const Shared = SharedArrayBuffer as unknown as new (bytes: number, options: object) => SharedArrayBuffer;
  return { control: new SharedArrayBuffer(8), data: new Shared(0, options) };
}

/** Gives the reader room for `bytes` bytes: in the shared buffer, else (too large) its own. */
export type SnapshotAllocator = (bytes: number) => Uint8Array;

/**
 * The snapshot from the share, read by the first worker that asks: `read` is given an
 * allocator and fills what it returns, so the file goes straight into the shared buffer.
 * It returns undefined while there is no snapshot yet: nothing is stored then, and a
 * later call tries again.
 */
export async function sharedSnapshot(
  share: SnapshotShare,
  read: (allocate: SnapshotAllocator) => Uint8Array | undefined,
): Promise<Uint8Array | undefined> {
  const state = new Int32Array(share.control);
  const data = share.data as GrowableSharedArrayBuffer;
  const allocate: SnapshotAllocator = (bytes) => {
    try {
      if (data.byteLength < bytes) data.grow(bytes);
      return new Uint8Array(data, 0, bytes);
    } catch {
      return new Uint8Array(bytes); // too large to share: this worker keeps its own copy
    }
  };
  for (;;) {
    const seen = Atomics.compareExchange(state, 0, EMPTY, READING);
    if (seen === READY) return new Uint8Array(data, 0, Atomics.load(state, 1));
    if (seen === READING) {
      const wait = Atomics.waitAsync(state, 0, READING, 1000);
      if (wait.async) await wait.value;
      continue;
    }
    let bytes: Uint8Array | undefined;
    try {
      bytes = read(allocate);
    } finally {
      const shared = bytes?.buffer === data;
      if (shared) Atomics.store(state, 1, bytes?.length ?? 0);
      Atomics.store(state, 0, shared ? READY : EMPTY);
      Atomics.notify(state, 0);
    }
    return bytes;
  }
}
