/** Deleting one run (`sandflow delete`, `DELETE /api/runs/{id}`): only a finished run, by id or prefix. */
import { describe, expect, it } from "vitest";
import { MemoryStore } from "../../src/core/durable/memory-store.js";
import { RunNotFoundError, RunStateError } from "../../src/core/durable/store.js";
import { deleteRun } from "../../src/core/durable/stored-run.js";
import { lease, record } from "./store-contract.js";

describe("deleteRun", () => {
  it("deletes a finished run by prefix and refuses what has not finished, saying what to do", async () => {
    const store = new MemoryStore();
    await store.createRun(record("done-1"), lease());
    await store.append("done-1", [{ type: "run-finished", status: "failed", time: 5 }]);
    await store.createRun(record("live-1"), lease());
    await store.createRun(record("dead-1"), lease("gone", -1));
    await store.createRun({ ...record("child-1"), parentRun: "live-1" }, lease());
    await store.append("child-1", [{ type: "run-finished", status: "succeeded", time: 5 }]);

    expect(await deleteRun(store, "done")).toBe("done-1");
    expect(await store.getRun("done-1")).toBeUndefined();
    await expect(deleteRun(store, "done-1")).rejects.toBeInstanceOf(RunNotFoundError);
    await expect(deleteRun(store, "live-1")).rejects.toThrow(
      /run live-1 has not finished \(running\): cancel it before deleting it/,
    );
    await expect(deleteRun(store, "dead-1")).rejects.toThrow(
      /run dead-1 has not finished \(interrupted\): resume it and let it end, or cancel it before deleting it/,
    );
    const child = deleteRun(store, "child-1");
    await expect(child).rejects.toBeInstanceOf(RunStateError);
    await expect(deleteRun(store, "child-1")).rejects.toThrow(
      /run child-1 is a sub-workflow run of run live-1, which has not finished/,
    );
    expect(await store.getRun("child-1")).toBeDefined();
  });
});
