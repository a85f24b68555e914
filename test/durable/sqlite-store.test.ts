import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { describe, expect, it } from "vitest";
import { StoreError } from "../../src/core/durable/store.js";
import { SCHEMA_VERSION } from "../../src/node/sqlite-schema.js";
import { processOwner, SqliteStore } from "../../src/node/sqlite-store.js";

const root = new URL("../../", import.meta.url).pathname;
const dir = () => mkdtempSync(join(tmpdir(), "sf-sqlite-"));

describe("SqliteStore files", () => {
  it("refuses a file that is not a database, naming it", () => {
    const file = join(dir(), "bad.db");
    writeFileSync(file, "this is not a database ".repeat(200));
    expect(() => new SqliteStore(file)).toThrow(StoreError);
    expect(() => new SqliteStore(file)).toThrow(/bad\.db is not a sandflow store, or it is damaged/);
  });

  it("refuses another program's SQLite database without writing into it", () => {
    const file = join(dir(), "other.db");
    const db = new DatabaseSync(file);
    db.exec("CREATE TABLE notes (t TEXT)");
    db.close();
    expect(() => new SqliteStore(file)).toThrow(/a SQLite database of another program/);
    const after = new DatabaseSync(file);
    expect(
      after
        .prepare("SELECT name FROM sqlite_master")
        .all()
        .map((r) => r.name),
    ).toEqual(["notes"]);
    after.close();
  });

  it("refuses a store from a newer schema, saying what to do", async () => {
    const file = join(dir(), "s.db");
    await new SqliteStore(file).close();
    const db = new DatabaseSync(file);
    db.exec("PRAGMA user_version = 99");
    db.close();
    expect(() => new SqliteStore(file)).toThrow(
      new RegExp(`written by a newer sandflow \\(store schema 99; this one knows up to ${SCHEMA_VERSION}\\)`),
    );
  });

  it("brings a store of schema 1 (before trigger marks, signals and parent runs) up to date, keeping its runs", async () => {
    const file = join(dir(), "v1.db");
    await new SqliteStore(file).close();
    const db = new DatabaseSync(file);
    db.exec(
      "DROP TABLE marks; DROP TABLE signals; ALTER TABLE runs DROP COLUMN parent_run; DROP INDEX runs_by_held_key; ALTER TABLE runs DROP COLUMN held_key; PRAGMA user_version = 1",
    );
    db.close();
    const store = new SqliteStore(file);
    expect(await store.claimMark("k", "v")).toBeUndefined();
    expect(await store.getMark("k")).toBe("v");
    const wf = { name: "w", steps: [], description: undefined, concurrency: undefined, source: undefined };
    await store.createRun(
      { runId: "child", workflow: wf, params: {}, createdAt: 1, parentRun: "parent" },
      { owner: "me", until: Date.now() + 60_000 },
    );
    expect((await store.getRun("child"))?.record.parentRun).toBe("parent");
    expect(await store.admitRun("child", "k", 1)).toBe(true);
    await store.close();
  });

  it("gives a concurrency_key's places to max_runs runs across the processes on the file; finished runs and dead owners hold none", async () => {
    const file = join(dir(), "keys.db");
    const a = new SqliteStore(file);
    const b = new SqliteStore(file);
    const wf = { name: "w", steps: [], description: undefined, concurrency: undefined, source: undefined };
    const live = { owner: processOwner("x"), until: Date.now() + 60_000 };
    for (const runId of ["r1", "r2", "r3", "dead"])
      await a.createRun({ runId, workflow: wf, params: {}, createdAt: Date.now() }, live);
    // A holder whose process is gone (its runs are interrupted) holds nothing.
    const db = new DatabaseSync(file);
    db.prepare("UPDATE runs SET owner = ?, held_key = 'k' WHERE run_id = 'dead'").run(
      `${hostname()}:999999999:gone`,
    );
    db.close();
    expect(await a.admitRun("r1", "k", 2)).toBe(true);
    expect(await b.admitRun("r2", "k", 2)).toBe(true);
    expect(await b.admitRun("r3", "k", 2)).toBe(false);
    expect(await a.admitRun("r3", "other", 2)).toBe(true);
    // Asking again for a run that holds a place keeps it (a resumed run).
    expect(await a.admitRun("r1", "k", 2)).toBe(true);
    await a.append("r1", [{ type: "run-finished", status: "succeeded", time: Date.now() }]);
    expect(await b.admitRun("r3", "k", 2)).toBe(true);
    await a.close();
    await b.close();
  });

  it("prunes more runs than one transaction takes, and a dry run changes nothing", async () => {
    const file = join(dir(), "s.db");
    const store = new SqliteStore(file);
    const lease = { owner: processOwner("x"), until: Date.now() + 60_000 };
    const workflow = { name: "w", steps: [] } as never;
    for (let i = 0; i < 1203; i++) {
      await store.createRun({ runId: `r${i}`, workflow, params: {}, createdAt: i }, lease);
      await store.append(`r${i}`, [{ type: "run-finished", status: "succeeded", time: 10 }]);
    }
    const now = Date.now();
    expect(await store.prune({ finishedBefore: 11, now, dryRun: true })).toEqual({
      runs: 1203,
      cacheEntries: 0,
      blobs: 0,
    });
    expect(await store.listRuns({ limit: 2000 })).toHaveLength(1203);
    expect(await store.prune({ finishedBefore: 11, now })).toMatchObject({ runs: 1203 });
    const db = new DatabaseSync(file);
    expect(db.prepare("SELECT count(*) AS n FROM events").get()).toEqual({ n: 0 });
    db.close();
    await store.close();
  });

  it("clearing the cache deletes the stored files only cache entries used", async () => {
    const file = join(dir(), "s.db");
    const store = new SqliteStore(file);
    const bytes = (text: string) => new TextEncoder().encode(text);
    const files = (...texts: string[]) => ({
      upserts: Object.fromEntries(texts.map((t) => [`/workspace/${t}`, bytes(t)])),
      deletes: [],
    });
    await store.createRun(
      { runId: "r", workflow: { name: "w", steps: [] } as never, params: {}, createdAt: 1 },
      { owner: processOwner("x"), until: Date.now() + 60_000 },
    );
    await store.append("r", [
      {
        type: "step-succeeded",
        stepId: "a",
        attempt: 1,
        stdout: "",
        stderr: "",
        startedAt: 1,
        finishedAt: 2,
        time: 2,
        outputJson: "1",
        files: files("shared"),
      },
    ]);
    const step = { outputJson: "1", stdout: "", stderr: "", createdAt: 1 };
    await store.putCached("k1", { ...step, files: files("shared", "cache-only") }, null);
    await store.putCached("k2", { ...step, files: files("cache-too") }, null);
    const blobs = () => {
      const db = new DatabaseSync(file);
      const n = (db.prepare("SELECT count(*) AS n FROM blobs").get() as { n: number }).n;
      db.close();
      return n;
    };
    expect(blobs()).toBe(3);
    expect(await store.clearCache()).toBe(2);
    expect(blobs()).toBe(1);
    const entry = (await store.getRun("r"))?.entries[0] as { files: { upserts: Record<string, Uint8Array> } };
    expect(new TextDecoder().decode(entry.files.upserts["/workspace/shared"])).toBe("shared");
    await store.close();
  });

  it("a prune that deletes anything also deletes files an earlier, killed prune left unnamed", async () => {
    const file = join(dir(), "s.db");
    const store = new SqliteStore(file);
    await store.createRun(
      { runId: "done", workflow: { name: "w", steps: [] } as never, params: {}, createdAt: 1 },
      { owner: processOwner("x"), until: Date.now() + 60_000 },
    );
    await store.append("done", [{ type: "run-finished", status: "succeeded", time: 5 }]);
    // What a prune killed between its batches and its last transaction leaves: a blob no row names.
    const db = new DatabaseSync(file);
    db.prepare("INSERT INTO blobs (hash, data) VALUES ('orphan', x'00')").run();
    expect(await store.prune({ finishedBefore: 1, now: Date.now() })).toEqual({
      runs: 0,
      cacheEntries: 0,
      blobs: 0,
    });
    expect(await store.prune({ finishedBefore: 10, now: Date.now() })).toEqual({
      runs: 1,
      cacheEntries: 0,
      blobs: 1,
    });
    expect(db.prepare("SELECT count(*) AS n FROM blobs").get()).toEqual({ n: 0 });
    db.close();
    await store.close();
  });

  it("cannot be made where no folder can be", () => {
    expect(() => new SqliteStore(join(root, "package.json", "sub", "s.db"))).toThrow(/cannot open the store/);
  });

  it("two processes appending to one store at once lose and corrupt nothing", async () => {
    const file = join(dir(), "shared.db");
    await new SqliteStore(file).close();
    const script = `
      import { SqliteStore } from "${root}dist/src/node/sqlite-store.js";
      const store = new SqliteStore(process.argv[1]);
      const me = process.argv[2];
      const wf = { name: "w", steps: [], description: undefined, concurrency: undefined, source: undefined };
      for (let r = 0; r < 20; r++) {
        const runId = me + "-" + r;
        await store.createRun({ runId, workflow: wf, params: {}, createdAt: Date.now() }, { owner: me, until: Date.now() + 60000 });
        for (let i = 0; i < 25; i++)
          await store.append(runId, [{ type: "step-started", stepId: "s" + i, attempt: 1, time: i }]);
        await store.append(runId, [{ type: "run-finished", status: "succeeded", time: 99 }]);
      }
      await store.close();
    `;
    const child = (name: string) =>
      new Promise<number | null>((resolve) => {
        const p = spawn(process.execPath, ["--input-type=module", "-e", script, file, name], {
          stdio: "inherit",
        });
        p.on("exit", resolve);
      });
    expect(await Promise.all([child("a"), child("b")])).toEqual([0, 0]);
    const store = new SqliteStore(file);
    const runs = await store.listRuns({ limit: 100 });
    expect(runs.length).toBe(40);
    expect(runs.every((r) => r.status === "succeeded")).toBe(true);
    for (const r of runs) expect((await store.getRun(r.runId))?.entries.length).toBe(26);
    await store.close();
  });
});
