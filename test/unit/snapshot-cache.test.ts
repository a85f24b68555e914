/**
 * The snapshot cache's rule, the same for every platform: a stored snapshot is used only
 * when it looks whole; a missing or damaged one is made once (concurrent asks share it)
 * and stored; a bad key is refused; a discarded one is gone. The storage here keeps
 * entries in a Map, as a page's `snapshotStore` option may; the disk and Cache API
 * storages run in test/integration/snapshot-cache.test.ts and test/browser/snapshot.test.ts.
 */
import { describe, expect, it } from "vitest";
import { SnapshotCache, type SnapshotStorage, snapshotLooksWhole } from "../../src/pool/snapshot-cache.js";

const KEY = "pyodide-0.28.0-0123456789abcd";

/** A snapshot-shaped image: the magic number, a 16-byte header, then `pages` wasm pages. */
function image(pages: number, fill = 7): Uint8Array {
  const bytes = new Uint8Array(16 + pages * 65536).fill(fill);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, 0x706e7300, true);
  view.setUint32(4, 16, true);
  return bytes;
}

function mapStorage(): SnapshotStorage<Uint8Array> & { map: Map<string, Uint8Array> } {
  const map = new Map<string, Uint8Array>();
  return {
    map,
    async get(key) {
      const bytes = map.get(key);
      return bytes && { entry: bytes, head: bytes, size: bytes.length };
    },
    async put(key, bytes) {
      map.set(key, bytes);
      return bytes;
    },
    async delete(key) {
      map.delete(key);
    },
  };
}

describe("the Pyodide snapshot cache", () => {
  it("tells a whole image from a cut, foreign or empty one", () => {
    const whole = image(2);
    expect(snapshotLooksWhole(whole, whole.length)).toBe(true);
    expect(snapshotLooksWhole(whole.subarray(0, 8), whole.length)).toBe(true);
    expect(snapshotLooksWhole(whole, whole.length - 4096)).toBe(false);
    expect(snapshotLooksWhole(new Uint8Array(65536 * 2), 65536 * 2)).toBe(false);
    expect(snapshotLooksWhole(new TextEncoder().encode("not a snapshot"), 14)).toBe(false);
    expect(snapshotLooksWhole(new Uint8Array(0), 0)).toBe(false);
  });

  it("makes a missing snapshot once for concurrent asks, stores it, then uses the stored one", async () => {
    const storage = mapStorage();
    let makes = 0;
    let notices = 0;
    const cache = new SnapshotCache({
      storage,
      make: async () => {
        makes++;
        return image(1);
      },
    });
    const [a, b] = await Promise.all([
      cache.ensure(KEY, () => notices++),
      cache.ensure(KEY, () => notices++),
    ]);
    expect(a).toBe(b);
    expect(storage.map.get(KEY)).toBe(a);
    expect(await cache.ensure(KEY, () => notices++)).toBe(a);
    expect([makes, notices]).toEqual([1, 1]);
  });

  it("remakes a damaged stored snapshot over it, and a discarded one after it is dropped", async () => {
    const storage = mapStorage();
    storage.map.set(KEY, new TextEncoder().encode("not a snapshot"));
    let makes = 0;
    const cache = new SnapshotCache({ storage, make: async () => image(1, ++makes) });
    expect((await cache.ensure(KEY))[20]).toBe(1);
    await cache.discard(KEY);
    expect(storage.map.has(KEY)).toBe(false);
    expect((await cache.ensure(KEY))[20]).toBe(2);
  });

  it("refuses a bad key, a made image that is not whole, and storage that cannot keep one", async () => {
    const storage = mapStorage();
    const cache = new SnapshotCache({ storage, make: async () => image(1).subarray(0, 5000) });
    await expect(cache.ensure("../etc/passwd")).rejects.toThrow("not a Pyodide snapshot key: ../etc/passwd");
    await expect(cache.ensure(KEY)).rejects.toThrow(/is not a whole snapshot \(5000 bytes\)/);
    expect(storage.map.size).toBe(0);
    let makes = 0;
    const full = new SnapshotCache({
      storage: { ...storage, prepare: () => Promise.reject(new Error("no room")) },
      make: async () => {
        makes++;
        return image(1);
      },
    });
    await expect(full.ensure(KEY)).rejects.toThrow("no room");
    expect(makes).toBe(0);
  });
});
