import { Worker } from "node:worker_threads";
import { describe, expect, it } from "vitest";
import {
  createSnapshotShare,
  type SnapshotAllocator,
  sharedSnapshot,
} from "../../src/protocol/pyodide-snapshot.js";

const bytes = (n: number, seed: number) => Uint8Array.from({ length: n }, (_, i) => (i * 7 + seed) % 251);
/** A reader as the worker's: fills the room it is given. */
const filling = (n: number, seed: number) => (allocate: SnapshotAllocator) => {
  const into = allocate(n);
  into.set(bytes(n, seed));
  return into;
};

describe("the snapshot shared by a process's workers", () => {
  it("reads the file once and hands out views of the same shared bytes", async () => {
    const share = createSnapshotShare();
    let reads = 0;
    const read = (allocate: SnapshotAllocator) => {
      reads++;
      return filling(100_000, 3)(allocate);
    };
    const [a, b] = await Promise.all([sharedSnapshot(share, read), sharedSnapshot(share, read)]);
    expect(reads).toBe(1);
    expect(a?.buffer).toBe(share.data);
    expect(b?.buffer).toBe(share.data);
    expect(a).toEqual(bytes(100_000, 3));
  });

  it("stores nothing while there is no snapshot, and reads it once it exists", async () => {
    const share = createSnapshotShare();
    expect(await sharedSnapshot(share, () => undefined)).toBeUndefined();
    const later = await sharedSnapshot(share, filling(10, 1));
    expect(later).toEqual(bytes(10, 1));
  });

  it("lets a later caller retry after a failed read", async () => {
    const share = createSnapshotShare();
    await expect(
      sharedSnapshot(share, () => {
        throw new Error("EACCES");
      }),
    ).rejects.toThrow("EACCES");
    expect(await sharedSnapshot(share, filling(5, 2))).toEqual(bytes(5, 2));
  });

  it("is read by one worker thread and seen by another", async () => {
    const share = createSnapshotShare();
    // The built module (`npm test` builds first): a raw worker cannot import .ts files that import others.
    const moduleUrl = new URL("../../dist/src/protocol/pyodide-snapshot.js", import.meta.url).href;
    const source = `
      const { workerData, parentPort } = require("node:worker_threads");
      import(${JSON.stringify(moduleUrl)}).then(async ({ sharedSnapshot }) => {
        const got = await sharedSnapshot(workerData, (allocate) => {
          const into = allocate(4096);
          for (let i = 0; i < 4096; i++) into[i] = i % 256;
          return into;
        });
        parentPort.postMessage(got ? Array.from(got.subarray(0, 4)).concat(got.length) : null);
      });`;
    const run = () =>
      new Promise<unknown>((resolve, reject) => {
        const worker = new Worker(source, { eval: true, workerData: share });
        worker.once("message", (m) => {
          resolve(m);
          void worker.terminate();
        });
        worker.once("error", reject);
      });
    expect(await run()).toEqual([0, 1, 2, 3, 4096]);
    // The main thread finds the bytes the worker read: its own read is never called.
    const seen = await sharedSnapshot(share, () => {
      throw new Error("read again");
    });
    expect(seen?.length).toBe(4096);
    expect(seen?.[255]).toBe(255);
  });
});
