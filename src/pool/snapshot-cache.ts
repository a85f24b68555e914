/**
 * The Pyodide snapshot cache, one rule for every platform. A snapshot is stored under its
 * key (the pyodide version and a hash of the prelude: src/protocol/pyodide-snapshot.ts); a
 * stored one is used only when it looks whole; a missing or damaged one is made (once per
 * key at a time) and stored over it; one that looks whole but did not load in a worker is
 * dropped. What differs per platform comes in as objects: where snapshots are kept (a
 * folder in Node: src/node/pyodide-snapshot.ts; the Cache API in a page:
 * src/browser/pyodide-snapshot.ts) and how one is made (a worker that runs no step).
 */
import { SNAPSHOT_KEY } from "../protocol/pyodide-snapshot.js";

/** Magic number at the start of a Pyodide memory snapshot ("\0snp", little-endian). */
const SNAPSHOT_MAGIC = 0x706e7300;
const WASM_PAGE = 65536;

/**
 * Whether a stored snapshot has the shape of a whole one, from its first bytes (`head`,
 * at least 8) and its size: the magic number, and a memory image after the header that is
 * a whole number of wasm pages. A truncated or overwritten entry fails this; needing only
 * the head keeps the check cheap where the 30 MB need not be read.
 */
export function snapshotLooksWhole(head: Uint8Array, size: number): boolean {
  if (head.length < 8) return false;
  const view = new DataView(head.buffer, head.byteOffset, 8);
  const headerBytes = view.getUint32(4, true);
  return (
    view.getUint32(0, true) === SNAPSHOT_MAGIC &&
    headerBytes >= 8 &&
    headerBytes < size &&
    (size - headerBytes) % WASM_PAGE === 0
  );
}

/** A stored snapshot: what the platform hands its workers, and what the check reads. */
export interface StoredSnapshot<T> {
  /** A path on disk in Node, the bytes in a page. */
  readonly entry: T;
  /** The snapshot's first bytes (at least 8 when it is whole). */
  readonly head: Uint8Array;
  /** Its size in bytes. */
  readonly size: number;
}

/** Where a platform keeps snapshots between processes or page loads. */
export interface SnapshotStorage<T> {
  /** The snapshot stored under `key`; undefined when there is none or it cannot be read. */
  get(key: string): Promise<StoredSnapshot<T> | undefined>;
  /** Rejects, saying why, when nothing could be stored: checked before a snapshot is made. */
  prepare?(): Promise<void>;
  /** Stores `bytes` under `key` over what was there; resolves with the entry for workers. */
  put(key: string, bytes: Uint8Array): Promise<T>;
  /** Drops the snapshot stored under `key`, if any. */
  delete(key: string): Promise<void>;
}

/** Options of {@link SnapshotCache}. */
export interface SnapshotCacheOptions<T> {
  readonly storage: SnapshotStorage<T>;
  /** Makes the snapshot for `key` (in a worker that runs no step). */
  readonly make: (key: string) => Promise<Uint8Array>;
}

/** The Pyodide snapshots of one storage: checked, made on a miss, dropped when damaged. */
export class SnapshotCache<T> {
  readonly #storage: SnapshotStorage<T>;
  readonly #make: (key: string) => Promise<Uint8Array>;
  readonly #pending = new Map<string, Promise<T>>();

  constructor(options: SnapshotCacheOptions<T>) {
    this.#storage = options.storage;
    this.#make = options.make;
  }

  /**
   * The whole snapshot stored under `key`, made and stored first when it is missing or
   * damaged (`onMake` is called then; concurrent calls share one making). Rejects with
   * why when `key` is not a snapshot key or no snapshot could be made or stored.
   */
  ensure(key: string, onMake?: () => void): Promise<T> {
    if (!SNAPSHOT_KEY.test(key)) return Promise.reject(new Error(`not a Pyodide snapshot key: ${key}`));
    let pending = this.#pending.get(key);
    if (!pending) {
      pending = this.#load(key, onMake).finally(() => this.#pending.delete(key));
      this.#pending.set(key, pending);
    }
    return pending;
  }

  /** Drops the snapshot stored under `key`: it looked whole but a worker could not load it. */
  async discard(key: string): Promise<void> {
    if (SNAPSHOT_KEY.test(key)) await this.#storage.delete(key);
  }

  async #load(key: string, onMake: (() => void) | undefined): Promise<T> {
    const stored = await this.#storage.get(key);
    if (stored && snapshotLooksWhole(stored.head, stored.size)) return stored.entry;
    await this.#storage.prepare?.();
    onMake?.();
    const bytes = await this.#make(key);
    if (!snapshotLooksWhole(bytes, bytes.length))
      throw new Error(`the new Pyodide snapshot ${key} is not a whole snapshot (${bytes.length} bytes)`);
    return this.#storage.put(key, bytes);
  }
}
