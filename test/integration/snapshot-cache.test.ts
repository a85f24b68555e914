/**
 * A damaged Pyodide snapshot in the cache never takes Python down: one whose shape is
 * wrong (truncated, overwritten) is remade before the run; one that looks whole but does
 * not load makes the workers load Python without it, and is dropped to be made again; a
 * cache folder that cannot be made makes the workers load Python without a snapshot.
 */
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defineWorkflow } from "../../src/core/builder.js";
import { createEngine, defaultCacheDir } from "../../src/node/create-engine.js";
import {
  diskSnapshotStorage,
  ensurePyodideSnapshot,
  STALE_SNAPSHOT_MS,
  snapshotFileName,
} from "../../src/node/pyodide-snapshot.js";
import { snapshotLooksWhole } from "../../src/pool/snapshot-cache.js";

/** Whether the file at `path` (named `<key>.snap`) passes the cache's check, as stored on disk. */
async function looksWhole(path: string): Promise<boolean> {
  const stored = await diskSnapshotStorage(dirname(path)).get(basename(path, ".snap"));
  return stored !== undefined && snapshotLooksWhole(stored.head, stored.size);
}

const PYTHON = defineWorkflow({
  name: "py",
  steps: { s: { language: "python", code: "import sys\ndef run():\n    return sys.version_info[0]" } },
});

let good: string;
let dir: string;
beforeAll(async () => {
  good = await ensurePyodideSnapshot(defaultCacheDir());
  dir = mkdtempSync(join(tmpdir(), "sandflow-snap-"));
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("the cached Pyodide snapshot", () => {
  it("tells a whole snapshot from a truncated, overwritten or missing one", async () => {
    expect(await looksWhole(good)).toBe(true);
    const bytes = readFileSync(good);
    const cut = join(dir, "cut.snap");
    writeFileSync(cut, bytes.subarray(0, bytes.length - 4096));
    expect(await looksWhole(cut)).toBe(false);
    const other = join(dir, "other.snap");
    writeFileSync(other, Buffer.alloc(65536 * 2));
    expect(await looksWhole(other)).toBe(false);
    expect(await looksWhole(join(dir, "missing.snap"))).toBe(false);
  });

  it("remakes a truncated snapshot before the run", async () => {
    const cacheDir = join(dir, "truncated");
    const path = join(cacheDir, snapshotFileName());
    mkdirSync(cacheDir, { recursive: true });
    writeFileSync(path, readFileSync(good).subarray(0, 1_000_000));
    const notices: string[] = [];
    const engine = createEngine({ threads: 1, cacheDir, onNotice: (m) => notices.push(m) });
    try {
      const report = await engine.run(PYTHON);
      expect(report.steps.s?.output).toBe(3);
      expect(notices).toEqual(["making the Python interpreter snapshot (first run only, a few seconds)"]);
      await engine.run(PYTHON);
      expect(notices).toHaveLength(1);
      expect(statSync(path).size).toBe(statSync(good).size);
    } finally {
      await engine.close();
    }
  }, 120_000);

  it("loads Python without a snapshot that looks whole but does not load", async () => {
    const cacheDir = join(dir, "damaged");
    const path = join(cacheDir, snapshotFileName());
    mkdirSync(cacheDir, { recursive: true });
    copyFileSync(good, path);
    const bytes = readFileSync(path);
    bytes.fill(0x58, 16, 48); // the build id and the start of the header's JSON
    writeFileSync(path, bytes);
    expect(await looksWhole(path)).toBe(true);
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on("warning", onWarning);
    const damaged = () =>
      existsSync(path) &&
      readFileSync(path)
        .subarray(16, 48)
        .every((b) => b === 0x58);
    for (const isolation of ["process", "thread"] as const) {
      if (!damaged()) writeFileSync(path, bytes);
      const engine = createEngine({ threads: 1, cacheDir, isolation });
      try {
        const first = await engine.run(PYTHON);
        expect(first.steps.s?.error ?? null).toBeNull();
        expect(first.steps.s?.output).toBe(3);
        // The host drops it (the pool process may not write), and the next run makes a good one.
        for (let i = 0; i < 100 && damaged(); i++) await new Promise((r) => setTimeout(r, 50));
        expect(damaged()).toBe(false);
        const second = await engine.run(PYTHON);
        expect(second.steps.s?.output).toBe(3);
        expect(await looksWhole(path)).toBe(true);
      } finally {
        await engine.close();
      }
    }
    process.off("warning", onWarning);
    const dropped = warnings.filter((w) => (w as { code?: string }).code === "SANDFLOW_SNAPSHOT_DROPPED");
    expect(dropped).toHaveLength(2);
    expect(dropped[0]?.message).toMatch(/the cached Python snapshot did not load \(.+\); it was dropped/);
    // A new engine loads Python from the remade snapshot.
    const engine = createEngine({ threads: 1, cacheDir });
    try {
      expect((await engine.run(PYTHON)).steps.s?.output).toBe(3);
    } finally {
      await engine.close();
    }
  }, 180_000);

  it("runs Python without a snapshot, with one warning, when the cache folder cannot be made", async () => {
    const file = join(dir, "a-file");
    writeFileSync(file, "");
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on("warning", onWarning);
    const engine = createEngine({ threads: 1, cacheDir: join(file, "cache") });
    try {
      for (let i = 0; i < 2; i++) expect((await engine.run(PYTHON)).steps.s?.output).toBe(3);
      await new Promise((r) => setImmediate(r));
      const ours = warnings.filter((w) => (w as { code?: string }).code === "SANDFLOW_NO_SNAPSHOT");
      expect(ours).toHaveLength(1);
      expect(ours[0]?.message).toMatch(/could not make the cache folder .*a-file\/cache: ENOTDIR/);
    } finally {
      process.off("warning", onWarning);
      await engine.close();
    }
  }, 120_000);

  it("removes other keys' old snapshots and killed writes when it writes one, and keeps recent ones", async () => {
    const cache = join(dir, "prune");
    mkdirSync(cache);
    const old = (Date.now() - STALE_SNAPSHOT_MS - 60_000) / 1000;
    const files = {
      oldKey: "pyodide-0.1.0-0123456789abcd.snap",
      recentKey: "pyodide-0.2.0-0123456789abcd.snap",
      killedWrite: "pyodide-0.3.0-0123456789abcd.snap.4242.1700000000000.tmp",
      notOurs: "notes.snap",
    };
    for (const name of Object.values(files)) writeFileSync(join(cache, name), "x");
    for (const name of [files.oldKey, files.killedWrite, files.notOurs])
      utimesSync(join(cache, name), old, old);
    await diskSnapshotStorage(cache).put("pyodide-0.4.0-0123456789abcd", new Uint8Array(8));
    expect(readdirSync(cache).sort()).toEqual(
      [files.notOurs, files.recentKey, "pyodide-0.4.0-0123456789abcd.snap"].sort(),
    );
  });
});
