/**
 * The sandboxed pool process killed with SIGKILL while a step runs: the step fails with
 * WorkerCrashedError naming the signal, and its attempt lasted from its start until the
 * crash (not 0 ms, as it was reported before), as with a worker thread that dies.
 */

import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { defineWorkflow } from "../../src/core/builder.js";
import { createEngine } from "../../src/node.js";
import { descendants } from "../security/security-env.js";

const workflow = defineWorkflow({
  name: "crash",
  steps: { nap: { language: "shell", code: "sleep 5" } },
});

describe("a pool process killed mid-step", () => {
  it("fails the step as WorkerCrashedError, with the time it ran", async () => {
    const engine = createEngine({ threads: 1 });
    try {
      let started: () => void = () => {};
      const whenStarted = new Promise<void>((resolve) => (started = resolve));
      const handle = engine.start(workflow, {
        onEvent: (event) => {
          if (event.type === "step-started") started();
        },
      });
      await whenStarted;
      await new Promise((r) => setTimeout(r, 500));
      const pool = descendants().find((pid) => {
        try {
          return readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("pool-server.js");
        } catch {
          return false;
        }
      });
      expect(pool).toBeDefined();
      process.kill(pool as number, "SIGKILL");
      const report = await handle.report;
      const step = report.steps.nap;
      expect(step?.status).toBe("failed");
      expect(step?.error?.name).toBe("WorkerCrashedError");
      expect(step?.error?.message).toMatch(/signal SIGKILL/);
      expect(step?.durationMs).toBeGreaterThanOrEqual(400);
    } finally {
      await engine.close();
    }
  }, 60_000);
});
