/**
 * The process pool tells an attempt's start, then its logs, then its result, and the start
 * of an attempt that came after another's end after that end, also when IPC hands over
 * several messages at once (a stand-in pool process sends them back to back).
 */
import { describe, expect, it } from "vitest";
import type { StepTask } from "../../src/core/step-pool.js";
import { SandboxedPoolProcess } from "../../src/node/sandboxed-pool-process.js";

const root = new URL("../..", import.meta.url).pathname;

describe("SandboxedPoolProcess", () => {
  it("tells starts, logs and results in order when messages arrive together", async () => {
    const pool = new SandboxedPoolProcess({
      serverEntry: `${root}test/fixtures/pool/burst-server.mjs`,
      readablePaths: [root],
      config: { threads: 1, workerData: {} as never, pool: {} },
    });
    try {
      for (let round = 0; round < 10; round++) {
        const seen: string[] = [];
        const runs = ["a", "b", "c"].map((stepId) =>
          pool
            .run({ stepId } as StepTask, {
              onStart: () => seen.push(`${stepId} start`),
              onLog: (_stream, text) => seen.push(`${stepId} log ${text.trim()}`),
            })
            .then((r) => seen.push(`${stepId} result ${r.outcome.ok}`)),
        );
        // Let the requests go out, then keep this process busy while the stand-in answers,
        // so its messages wait in the pipe and are read in one chunk.
        await new Promise((resolve) => setImmediate(resolve));
        const until = Date.now() + 100;
        while (Date.now() < until) {}
        await Promise.all(runs);
        // Each attempt in order, and the next one's start only after the previous result.
        expect(seen).toEqual(
          ["a", "b", "c"].flatMap((id) => [`${id} start`, `${id} log hello`, `${id} result true`]),
        );
      }
    } finally {
      await pool.close();
    }
  });
});
