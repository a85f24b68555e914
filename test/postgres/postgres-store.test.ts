import { describe, expect, it } from "vitest";
import type { JournalEntry } from "../../src/core/durable/journal.js";
import { PostgresStore } from "../../src/node/postgres-store.js";
import { lease, record, storeContract } from "../durable/store-contract.js";
import { freshSchema, freshStore, PG_URL } from "./pg-env.js";

describe.skipIf(!PG_URL)("PostgresStore", () => {
  storeContract("PostgresStore", () => freshStore());

  it("migrates once when processes start together, and refuses a newer schema", async () => {
    const schema = freshSchema();
    const stores = [0, 1, 2, 3].map(() => new PostgresStore(PG_URL, { schema }));
    await Promise.all(stores.map((s) => s.ready()));
    await stores[0]?.use("bump", (c) =>
      c.query(`UPDATE ${schema}.meta SET value = '99' WHERE key = 'schema_version'`),
    );
    const late = new PostgresStore(PG_URL, { schema });
    await expect(late.ready()).rejects.toThrow(/written by a newer sandflow \(store schema 99/);
    await Promise.all([...stores, late].map((s) => s.close()));
  });

  it("orders appends of two processes on one run", async () => {
    const schema = freshSchema();
    const a = new PostgresStore(PG_URL, { schema });
    const b = new PostgresStore(PG_URL, { schema });
    await a.createRun(record("r"), lease());
    const entry = (i: number): JournalEntry => ({
      type: "step-started",
      stepId: `s${i}`,
      attempt: 1,
      time: i,
    });
    await Promise.all(
      Array.from({ length: 40 }, (_, i) => (i % 2 ? a : b).append("r", [entry(i), entry(i)])),
    );
    expect((await a.getRun("r"))?.entries.length).toBe(80);
    await Promise.all([a.close(), b.close()]);
  });

  it("gives a concurrency_key's places to max_runs runs across processes, also when they ask at once", async () => {
    const schema = freshSchema();
    const a = new PostgresStore(PG_URL, { schema });
    const b = new PostgresStore(PG_URL, { schema });
    const ids = Array.from({ length: 10 }, (_, i) => `r${i}`);
    for (const id of ids) await a.createRun(record(id), lease());
    await a.createRun(record("expired"), lease("gone-owner", -1));
    await a.use("hold", (c) => c.query(`UPDATE ${schema}.runs SET held_key = 'k' WHERE run_id = 'expired'`));
    const admitted = await Promise.all(ids.map((id, i) => (i % 2 ? a : b).admitRun(id, "k", 2)));
    expect(admitted.filter(Boolean).length).toBe(2);
    const holder = ids[admitted.indexOf(true)] as string;
    const waiting = ids[admitted.indexOf(false)] as string;
    expect(await a.admitRun(holder, "k", 2)).toBe(true);
    await b.append(holder, [{ type: "run-finished", status: "failed", time: Date.now() }]);
    expect(await a.admitRun(waiting, "k", 2)).toBe(true);
    expect(await b.admitRun(ids[admitted.lastIndexOf(false)] as string, "k", 2)).toBe(false);
    await Promise.all([a.close(), b.close()]);
  });

  it("names the options and the database that are wrong", async () => {
    expect(() => new PostgresStore(PG_URL, { schema: "Bad-Name" })).toThrow(/options.schema must be/);
    expect(() => new PostgresStore(PG_URL, { maxConnections: 0 })).toThrow(/options.maxConnections/);
    const nowhere = new PostgresStore("postgres://u:secret@127.0.0.1:1/db", { reconnectMs: 0 });
    const error = await nowhere.ready().catch((e: Error) => e);
    expect(String(error)).toMatch(
      /StoreError: postgres:\/\/u@127\.0\.0\.1:1\/db: connecting and migrating the schema failed/,
    );
    expect(String(error)).not.toMatch(/secret/);
    await nowhere.close();
  });
});
