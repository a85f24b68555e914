/** The contract every Store implements; run by the store tests of each platform. */
import { afterEach, describe, expect, it } from "vitest";
import type { JournalEntry, RunRecord } from "../../src/core/durable/journal.js";
import { RunNotFoundError, RunStateError, type Store } from "../../src/core/durable/store.js";
import { parseWorkflowOrThrow } from "../../src/core/validate.js";

const workflow = parseWorkflowOrThrow({ name: "w", steps: { a: { code: "function run() return 1 end" } } });
export const record = (runId: string, createdAt = Date.now()): RunRecord => ({
  runId,
  workflow,
  params: {},
  createdAt,
});
export const lease = (owner = "test-owner", ms = 60_000) => ({ owner, until: Date.now() + ms });
const bytes = (text: string) => new TextEncoder().encode(text);

const succeeded = (stepId: string, data: string): JournalEntry => ({
  type: "step-succeeded",
  stepId,
  attempt: 1,
  stdout: "out",
  stderr: "",
  startedAt: 1,
  finishedAt: 2,
  time: 2,
  outputJson: '{"x":1}',
  files: { upserts: { "/workspace": null, "/workspace/f.txt": bytes(data) }, deletes: ["/tmp/gone"] },
});

/** Runs the Store contract on stores made by `make` (each call an empty store). */
export function storeContract(name: string, make: () => Store): void {
  describe(name, () => {
    let store: Store;
    afterEach(async () => store?.close());

    it("keeps a run's journal in order, files included, and its status once finished", async () => {
      store = make();
      await store.createRun(record("run-1"), lease());
      await store.append("run-1", [
        { type: "step-started", stepId: "a", attempt: 1, time: 1 },
        succeeded("a", "hello"),
      ]);
      await store.append("run-1", [{ type: "run-finished", status: "succeeded", time: 3 }]);
      const run = await store.getRun("run-1");
      expect(run?.status).toBe("succeeded");
      expect(run?.finishedAt).toBe(3);
      expect(run?.record.workflow).toEqual(JSON.parse(JSON.stringify(workflow)));
      expect(run?.entries.map((e) => e.type)).toEqual(["step-started", "step-succeeded", "run-finished"]);
      const entry = run?.entries[1] as Extract<JournalEntry, { type: "step-succeeded" }>;
      expect(new TextDecoder().decode(entry.files.upserts["/workspace/f.txt"] as Uint8Array)).toBe("hello");
      expect(entry.files.upserts["/workspace"]).toBeNull();
      expect(entry.files.deletes).toEqual(["/tmp/gone"]);
      expect(await store.getRun("nope")).toBeUndefined();
    });

    it("keeps the links of a run: the run it reruns, the run that started it", async () => {
      store = make();
      await store.createRun({ ...record("linked"), rerunOf: "earlier", parentRun: "parent" }, lease());
      const run = await store.getRun("linked");
      expect(run?.record.rerunOf).toBe("earlier");
      expect(run?.record.parentRun).toBe("parent");
      await store.createRun(record("plain"), lease());
      expect((await store.getRun("plain"))?.record).not.toHaveProperty("parentRun");
    });

    it("lists runs newest first, filters by status, finds ids by prefix", async () => {
      store = make();
      await store.createRun(record("abc-1", 1000), lease());
      await store.createRun(record("abd-2", 2000), lease());
      await store.createRun(record("xyz-3", 3000), lease());
      await store.append("abd-2", [{ type: "run-finished", status: "failed", time: 2500 }]);
      const all = await store.listRuns({ limit: 10 });
      expect(all.map((r) => r.runId)).toEqual(["xyz-3", "abd-2", "abc-1"]);
      expect(all[1]).toEqual({
        runId: "abd-2",
        workflow: "w",
        status: "failed",
        startedAt: 2000,
        finishedAt: 2500,
      });
      expect((await store.listRuns({ limit: 10, status: "failed" })).map((r) => r.runId)).toEqual(["abd-2"]);
      expect((await store.listRuns({ limit: 1 })).length).toBe(1);
      expect((await store.findRunIds("ab", 5)).sort()).toEqual(["abc-1", "abd-2"]);
      expect(await store.findRunIds("abc", 5)).toEqual(["abc-1"]);
      expect(await store.findRunIds("a%", 5)).toEqual([]);
    });

    it("shows a run whose lease passed as interrupted, and lets one owner claim it", async () => {
      store = make();
      await store.createRun(record("r"), { owner: "gone", until: Date.now() - 1 });
      expect((await store.getRun("r"))?.status).toBe("interrupted");
      expect((await store.listRuns({ limit: 5, status: "interrupted" })).length).toBe(1);
      expect(await store.claimRun("r", lease("me"))).toBe(true);
      expect((await store.getRun("r"))?.status).toBe("running");
      expect(await store.claimRun("r", lease("other"))).toBe(false);
      await store.renewLeases("me", ["r"], Date.now() + 60_000);
      expect((await store.getRun("r"))?.owner).toBe("me");
    });

    it("caches step results until they expire, and clears them", async () => {
      store = make();
      const step = {
        outputJson: "42",
        stdout: "s",
        stderr: "",
        files: { upserts: { "/tmp/x": bytes("x") }, deletes: [] },
        createdAt: 100,
      };
      await store.putCached("k1", step, 1_000);
      await store.putCached("k2", step, null);
      const hit = await store.getCached("k1", 500);
      expect(hit?.outputJson).toBe("42");
      expect(new TextDecoder().decode(hit?.files.upserts["/tmp/x"] as Uint8Array)).toBe("x");
      expect(await store.getCached("k1", 1_000)).toBeUndefined();
      expect(await store.getCached("k2", Number.MAX_SAFE_INTEGER)).toBeDefined();
      expect(await store.clearCache()).toBeGreaterThanOrEqual(1);
      expect(await store.getCached("k2", 0)).toBeUndefined();
    });
    it("keeps the signals of a run in order, once per id, and refuses them for unknown or finished runs", async () => {
      store = make();
      await store.createRun(record("r"), lease());
      const signal = (name: string, signalId: string, data: unknown) => ({
        name,
        signalId,
        dataJson: JSON.stringify(data),
        sentAt: 5,
      });
      expect(await store.sendSignal("r", signal("approval", "a1", { approved: true }))).toBe(true);
      expect(await store.sendSignal("r", signal("go", "g1", null))).toBe(true);
      expect(await store.sendSignal("r", signal("approval", "a1", { approved: false }))).toBe(false);
      expect(await store.sendSignal("r", signal("approval", "a2", 2))).toBe(true);
      expect((await store.listSignals("r", "approval")).map((x) => [x.signalId, x.dataJson])).toEqual([
        ["a1", '{"approved":true}'],
        ["a2", "2"],
      ]);
      expect((await store.listSignals("r")).map((x) => x.name)).toEqual(["approval", "go", "approval"]);
      await expect(store.sendSignal("nope", signal("go", "x", 1))).rejects.toBeInstanceOf(RunNotFoundError);
      await store.append("r", [{ type: "run-finished", status: "succeeded", time: 9 }]);
      await expect(store.sendSignal("r", signal("go", "y", 1))).rejects.toBeInstanceOf(RunStateError);
    });

    it("keeps trigger marks: claim once, then the first value wins until set", async () => {
      store = make();
      expect(await store.getMark("event:a:1")).toBeUndefined();
      expect(await store.claimMark("event:a:1", "first")).toBeUndefined();
      expect(await store.claimMark("event:a:1", "second")).toBe("first");
      await store.setMark("event:a:1", "third");
      expect(await store.getMark("event:a:1")).toBe("third");
      await store.setMark("schedule:x", "1");
      expect(await store.getMark("schedule:x")).toBe("1");
    });

    it("prunes finished runs past a cut-off, expired cache entries and the files only they named", async () => {
      store = make();
      const files = (...texts: string[]) => ({
        upserts: Object.fromEntries(texts.map((t) => [`/workspace/${t}.txt`, bytes(t)])),
        deletes: [],
      });
      const withFiles = (...texts: string[]): JournalEntry => ({
        ...(succeeded("a", "") as Extract<JournalEntry, { type: "step-succeeded" }>),
        files: files(...texts),
      });
      const finish = (runId: string, time: number, status: "succeeded" | "failed" = "succeeded") =>
        store.append(runId, [{ type: "run-finished", status, time }]);
      await store.createRun(record("old-ok", 100), lease());
      await store.append("old-ok", [withFiles("unique", "shared")]);
      await finish("old-ok", 1000);
      await store.createRun(record("old-failed", 100), lease());
      await finish("old-failed", 1500, "failed");
      await store.createRun(record("recent", 100), lease());
      await store.append("recent", [withFiles("shared")]);
      await finish("recent", 5000);
      await store.createRun(record("live", 100), lease());
      await store.createRun(record("parent", 100), lease());
      await store.createRun({ ...record("child", 100), parentRun: "parent" }, lease());
      await finish("child", 1000);
      const cached = (text: string) => ({
        outputJson: "1",
        stdout: "",
        stderr: "",
        files: files(text),
        createdAt: 1,
      });
      const now = Date.now();
      await store.putCached("expired", cached("cache-only"), now - 1);
      await store.putCached("kept", cached("cache-kept"), null);
      const sql = store.label !== "memory"; // the memory store keeps files inside its entries
      const expected = { runs: 2, cacheEntries: 1, blobs: sql ? 2 : 0 };
      expect(await store.prune({ finishedBefore: 2000, now, dryRun: true })).toEqual(expected);
      expect(await store.getRun("old-ok")).toBeDefined();
      expect(await store.prune({ finishedBefore: 2000, now })).toEqual(expected);
      const left = (await store.listRuns({ limit: 10 })).map((r) => r.runId).sort();
      expect(left).toEqual(["child", "live", "parent", "recent"]);
      expect(await store.getRun("old-ok")).toBeUndefined();
      const recent = (await store.getRun("recent"))?.entries[0] as Extract<
        JournalEntry,
        { type: "step-succeeded" }
      >;
      expect(new TextDecoder().decode(recent.files.upserts["/workspace/shared.txt"] as Uint8Array)).toBe(
        "shared",
      );
      expect((await store.getCached("kept", now))?.files.upserts["/workspace/cache-kept.txt"]).toBeDefined();
      expect(await store.prune({ finishedBefore: 2000, now })).toEqual({
        runs: 0,
        cacheEntries: 0,
        blobs: 0,
      });
      // Once its parent has finished, the child goes too.
      await finish("parent", 1000);
      expect(await store.prune({ finishedBefore: 2000, now })).toMatchObject({ runs: 2 });
    });
  });
}
