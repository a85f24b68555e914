/**
 * One copy of the Pyodide memory snapshot for all the workers of a process. The snapshot
 * is 30 MB; kept by every worker (each new interpreter restores from it) it was 30 MB of
 * every worker's memory. Instead the host hands every worker the same two shared buffers;
 * the first worker that needs the snapshot reads the file into them, the others wait for
 * it and read the same bytes.
 */

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

/**
 * The snapshot from the share, read with `read` by the first worker that asks (`read`
 * returns undefined while there is no snapshot yet: nothing is stored then, and a later
 * call tries again).
 */
export async function sharedSnapshot(
  share: SnapshotShare,
  read: () => Uint8Array | undefined,
): Promise<Uint8Array | undefined> {
  const state = new Int32Array(share.control);
  for (;;) {
    const seen = Atomics.compareExchange(state, 0, EMPTY, READING);
    if (seen === READY) return new Uint8Array(share.data, 0, Atomics.load(state, 1));
    if (seen === READING) {
      const wait = Atomics.waitAsync(state, 0, READING, 1000);
      if (wait.async) await wait.value;
      continue;
    }
    let bytes: Uint8Array | undefined;
    let shared = false;
    try {
      bytes = read();
      if (bytes) {
        (share.data as GrowableSharedArrayBuffer).grow(bytes.length);
        new Uint8Array(share.data, 0, bytes.length).set(bytes);
        Atomics.store(state, 1, bytes.length);
        shared = true;
      }
    } catch (error) {
      // Too large to share (or out of memory): this worker keeps its own copy.
      if (!bytes) throw error;
    } finally {
      Atomics.store(state, 0, shared ? READY : EMPTY);
      Atomics.notify(state, 0);
    }
    return shared && bytes ? new Uint8Array(share.data, 0, bytes.length) : bytes;
  }
}
