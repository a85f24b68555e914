/**
 * The server's retention (`serve --retention`): finished runs past it are pruned when the
 * server starts and at an interval; a failing store is told, not thrown.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { MemoryStore } from "../../src/core/durable/memory-store.js";
import { SqliteStore } from "../../src/node/sqlite-store.js";
import { startServer } from "../../src/server/node-server.js";
import { RetentionPruner } from "../../src/server/retention.js";
import { lease, record } from "../durable/store-contract.js";

const DAY = 86_400_000;

async function finishedRun(store: MemoryStore | SqliteStore, runId: string, at: number): Promise<void> {
  await store.createRun(record(runId, at), lease());
  await store.append(runId, [{ type: "run-finished", status: "succeeded", time: at }]);
}

describe("retention", () => {
  it("prunes the runs that finished longer ago than the retention, and says so", async () => {
    const store = new MemoryStore();
    const now = 100 * DAY;
    await finishedRun(store, "old", now - 31 * DAY);
    await finishedRun(store, "young", now - 29 * DAY);
    const notices: string[] = [];
    const pruner = new RetentionPruner(
      store,
      30 * DAY,
      (m) => notices.push(m),
      () => now,
    );
    expect(await pruner.pruneOnce()).toMatchObject({ runs: 1 });
    expect((await store.listRuns({ limit: 10 })).map((r) => r.runId)).toEqual(["young"]);
    expect(notices).toEqual([
      `retention: removed 1 run finished before ${new Date(now - 30 * DAY).toISOString()}, 0 expired cached step results and 0 stored files nothing else uses`,
    ]);
    // Nothing to remove: nothing said.
    expect(await pruner.pruneOnce()).toMatchObject({ runs: 0 });
    expect(notices).toHaveLength(1);
    // At least every minute and at most every hour.
    expect(pruner.intervalMs).toBe(3_600_000);
    expect(new RetentionPruner(store, 10_000, () => {}).intervalMs).toBe(60_000);
  });

  it("tells a failing store as a notice and keeps going; refuses a retention that is not a time", async () => {
    const store = new (class extends MemoryStore {
      override async prune(): Promise<never> {
        throw new Error("disk on fire");
      }
    })();
    const notices: string[] = [];
    expect(await new RetentionPruner(store, DAY, (m) => notices.push(m)).pruneOnce()).toBeUndefined();
    expect(notices).toEqual(["retention: pruning the store failed (tried again later): disk on fire"]);
    expect(() => new RetentionPruner(store, 0, () => {})).toThrow(
      /options.retentionMs must be a positive number of milliseconds, got 0/,
    );
    await expect(startServer({ port: 0, retentionMs: -1 })).rejects.toThrow(/options.retentionMs must be/);
  });

  it("a server started with a retention prunes its store when it starts", async () => {
    const file = join(mkdtempSync(join(tmpdir(), "sf-retention-")), "store.db");
    const seed = new SqliteStore(file);
    await finishedRun(seed, "ancient", Date.now() - 2 * DAY);
    await finishedRun(seed, "fresh", Date.now());
    await seed.close();
    const notices: string[] = [];
    const server = await startServer({
      port: 0,
      store: file,
      retentionMs: DAY,
      engine: { threads: 1 },
      onNotice: (m) => notices.push(m),
    });
    try {
      await expect
        .poll(() => notices.join("\n"), { timeout: 10_000 })
        .toMatch(/retention: removed 1 run finished/);
      const listed = await (await fetch(`${server.url}/api/runs`)).json();
      expect(listed.runs.map((r: { runId: string }) => r.runId)).toEqual(["fresh"]);
    } finally {
      await server.close();
    }
  });
});
