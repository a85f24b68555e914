/**
 * The Pyodide memory snapshot in a page: workers ask for it by key (pyodide version and
 * prelude hash); the page answers from memory, else from the Cache API, else makes it
 * once in a dedicated worker that runs no step and stores it for the next page load.
 * Restoring takes a fraction of a cold Pyodide start. The rule (the check of a stored
 * one, make on a miss, drop a damaged one) is src/pool/snapshot-cache.ts.
 */

import { SnapshotCache, type SnapshotStorage } from "../pool/snapshot-cache.js";
import {
  type BrowserAssetUrls,
  isWorkerMessage,
  type PageMessage,
  type SnapshotSource,
} from "../protocol/browser-wire.js";

/** Where snapshots are kept between page loads. */
export interface SnapshotStore {
  get(key: string): Promise<Uint8Array | undefined>;
  /** Stores `bytes` under `key` and drops snapshots stored under other keys. */
  put(key: string, bytes: Uint8Array): Promise<void>;
  /** Drops the snapshot stored under `key`. */
  delete(key: string): Promise<void>;
}

const CACHE_NAME = "sandflow-pyodide-snapshot";

function cacheUrl(key: string): string {
  return new URL(`/__sandflow-cache/${key}`, globalThis.location?.href ?? "http://localhost/").href;
}

/** A store in the Cache API; without one (some private modes), nothing is kept. */
export function cacheStorageStore(): SnapshotStore {
  const storage = (globalThis as { caches?: CacheStorage }).caches;
  if (!storage) return { get: async () => undefined, put: async () => {}, delete: async () => {} };
  return {
    async get(key) {
      try {
        const hit = await (await storage.open(CACHE_NAME)).match(cacheUrl(key));
        return hit ? new Uint8Array(await hit.arrayBuffer()) : undefined;
      } catch {
        return undefined;
      }
    },
    async put(key, bytes) {
      try {
        const cache = await storage.open(CACHE_NAME);
        for (const old of await cache.keys()) if (old.url !== cacheUrl(key)) await cache.delete(old);
        const body = new Blob([bytes as Uint8Array<ArrayBuffer>], { type: "application/octet-stream" });
        await cache.put(cacheUrl(key), new Response(body));
      } catch {
        // Quota or storage errors only cost the next page load a rebuild.
      }
    },
    async delete(key) {
      try {
        await (await storage.open(CACHE_NAME)).delete(cacheUrl(key));
      } catch {
        // Nothing stored, or no storage.
      }
    },
  };
}

/** Options of {@link createSnapshotProvider}. */
export interface SnapshotProviderOptions {
  /** Starts a module Worker running runtimes/worker/browser-worker. */
  readonly createWorker: () => Worker;
  readonly assets: BrowserAssetUrls;
  readonly store: SnapshotStore;
  /** Called when a snapshot cannot be made (Python then loads without one). */
  readonly onWarning?: (message: string) => void;
  /** Milliseconds to wait for the snapshot worker. Default: 120 000. */
  readonly timeoutMs?: number;
}

function makeInWorker(options: SnapshotProviderOptions, key: string): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const worker = options.createWorker();
    const timer = setTimeout(() => done(new Error("it took too long")), options.timeoutMs ?? 120_000);
    const done = (error: Error | undefined, bytes?: Uint8Array) => {
      clearTimeout(timer);
      worker.terminate();
      if (bytes) resolve(bytes);
      else reject(error ?? new Error("no snapshot"));
    };
    worker.addEventListener("message", (e: MessageEvent) => {
      const m = e.data as unknown;
      if (!isWorkerMessage(m)) return;
      if (m.kind === "fatal") done(new Error(m.message));
      else if (m.kind === "snapshot-made") {
        if (m.key !== key) done(new Error(`the worker made snapshot ${m.key}, not ${key}`));
        else if (!(m.bytes instanceof Uint8Array)) done(new Error("the worker sent no bytes"));
        else done(undefined, m.bytes);
      }
    });
    worker.addEventListener("error", (e: ErrorEvent) => {
      e.preventDefault();
      done(new Error(e.message || "the snapshot worker could not start"));
    });
    const init: PageMessage = { kind: "init", role: "snapshot", assets: options.assets, useSnapshot: false };
    worker.postMessage(init);
  });
}

/** `store` as the cache's storage: the bytes are the entry workers get. */
function pageStorage(store: SnapshotStore): SnapshotStorage<Uint8Array> {
  return {
    async get(key) {
      const bytes = await store.get(key);
      return bytes && { entry: bytes, head: bytes, size: bytes.length };
    },
    async put(key, bytes) {
      // Workers need not wait for the copy kept for the next page load.
      void store.put(key, bytes);
      return bytes;
    },
    delete: (key) => store.delete(key),
  };
}

/**
 * Answers workers' snapshot requests: from memory, the store, or a snapshot worker (once
 * per key; concurrent requests share it). Resolves undefined when it cannot be made.
 */
export function createSnapshotProvider(options: SnapshotProviderOptions): SnapshotSource {
  const cache = new SnapshotCache({
    storage: pageStorage(options.store),
    make: (key) => makeInWorker(options, key),
  });
  const known = new Map<string, Promise<Uint8Array | undefined>>();
  const get = (key: string): Promise<Uint8Array | undefined> => {
    let pending = known.get(key);
    if (!pending) {
      pending = cache.ensure(key).catch((e: unknown) => {
        // Kept as undefined: the workers of this page load Python cold rather than retry.
        options.onWarning?.(
          `sandflow: could not make the Pyodide snapshot (${e instanceof Error ? e.message : String(e)}); Python loads without it`,
        );
        return undefined;
      });
      known.set(key, pending);
    }
    return pending;
  };
  return {
    get,
    discard(key) {
      // This page goes on without one; the next page load makes a new one.
      known.set(key, Promise.resolve(undefined));
      void cache.discard(key);
      options.onWarning?.(`sandflow: the cached Pyodide snapshot ${key} did not load; it was discarded`);
    },
  };
}
