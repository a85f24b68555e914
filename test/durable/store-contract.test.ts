import { createHash } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseDuration } from "../../src/core/durable/duration.js";
import { MemoryStore } from "../../src/core/durable/memory-store.js";
import { sha256 } from "../../src/core/durable/sha256.js";
import { SqliteStore } from "../../src/node/sqlite-store.js";
import { lease, record, storeContract } from "./store-contract.js";

storeContract("MemoryStore", () => new MemoryStore());
storeContract("SqliteStore", () => new SqliteStore(join(mkdtempSync(join(tmpdir(), "sf-store-")), "s.db")));

describe("durable helpers", () => {
  it("sha256 agrees with node:crypto on text and bytes of many lengths", () => {
    for (const n of [0, 1, 55, 56, 63, 64, 65, 119, 1000]) {
      const text = "é✓𝄞".repeat(n).slice(0, n * 2);
      expect(sha256(text)).toBe(createHash("sha256").update(text, "utf8").digest("hex"));
      const data = Uint8Array.from({ length: n }, (_, i) => (i * 31) & 255);
      expect(sha256(data)).toBe(createHash("sha256").update(data).digest("hex"));
    }
  });

  it("parses durations and refuses what is not one", () => {
    expect(parseDuration("10m")).toBe(600_000);
    expect(parseDuration("1h30m")).toBe(5_400_000);
    expect(parseDuration("250ms")).toBe(250);
    expect(parseDuration("1.5s")).toBe(1500);
    expect(parseDuration("7d")).toBe(604_800_000);
    for (const bad of ["", "10", "m", "1 h", "-1s", "1y"]) expect(parseDuration(bad)).toBeUndefined();
  });
});

describe("MemoryStore bounds", () => {
  it("keeps only the most recent finished runs and cached results", async () => {
    const store = new MemoryStore({ maxFinishedRuns: 2, maxCached: 2 });
    for (const id of ["r1", "r2", "r3"]) {
      await store.createRun(record(id), lease());
      await store.append(id, [{ type: "run-finished", status: "succeeded", time: 1 }]);
    }
    await store.createRun(record("live"), lease());
    expect((await store.listRuns({ limit: 10 })).map((r) => r.runId).sort()).toEqual(["live", "r2", "r3"]);
    const step = {
      outputJson: "1",
      stdout: "",
      stderr: "",
      files: { upserts: {}, deletes: [] },
      createdAt: 0,
    };
    for (const key of ["a", "b", "c"]) await store.putCached(key, step, null);
    expect(await store.getCached("a", 0)).toBeUndefined();
    expect(await store.getCached("c", 0)).toBeDefined();
    expect(() => new MemoryStore({ maxCached: -1 })).toThrow(
      /options.maxCached must be a non-negative integer/,
    );
  });

  it("drops the oldest finished runs past a total of journal entries, but never the latest", async () => {
    const store = new MemoryStore({ maxFinishedEntries: 5 });
    const started = (i: number) => ({ type: "step-started", stepId: `s${i}`, attempt: 1, time: 1 }) as const;
    for (const [id, steps] of [
      ["big1", 3],
      ["big2", 3],
      ["huge", 9],
    ] as const) {
      await store.createRun(record(id), lease());
      await store.append(id, [
        ...Array.from({ length: steps }, (_, i) => started(i)),
        { type: "run-finished", status: "succeeded", time: 1 },
      ]);
      if (id === "big2") expect((await store.listRuns({ limit: 10 })).map((r) => r.runId)).toEqual(["big2"]);
    }
    expect((await store.listRuns({ limit: 10 })).map((r) => r.runId)).toEqual(["huge"]);
  });
});
