/**
 * Limits a hostile workflow file sets for itself: the engine's `maxTimeout` and
 * `maxMemory` (by default its `timeout` and `memory`) are ceilings, whatever a step (or
 * `defaults`) asks for, or CPU time and memory would not be bounded.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defineWorkflow } from "../../src/core/builder.js";
import type { Engine } from "../../src/core/engine.js";
import { createEngine } from "../../src/node/create-engine.js";
import { withPeakRss } from "./security-env.js";

const MB = 1 << 20;

describe("limits a workflow file sets for itself", () => {
  let engine: Engine;
  let slow: Engine;
  beforeAll(() => {
    // Python needs more than 1 s to start a 2 GB interpreter: the memory case gets its own engine.
    engine = createEngine({ threads: 1, timeout: 1, memory: 128 });
    slow = createEngine({ threads: 1, timeout: 60, memory: 128 });
  });
  afterAll(async () => {
    await engine?.close();
    await slow?.close();
  });

  const cases = [
    {
      title: "a step asking for a 60 s timeout on an engine whose timeout is 1 s",
      body: async () => {
        const report = await engine.run(
          defineWorkflow({
            name: "long",
            defaults: { timeout: 60 },
            steps: {
              a: {
                language: "lua",
                code: "function run() local t = os.clock() while os.clock() - t < 2.5 do end return 'ran 2.5 s' end",
              },
            },
          }),
        );
        expect(report.steps.a?.error?.name).toBe("StepTimeoutError");
        expect(report.steps.a?.durationMs ?? 0).toBeLessThan(1500);
      },
    },
    {
      title: "a step asking for 2 GB of memory on an engine whose memory is 128 MB",
      body: async () => {
        const {
          value: report,
          peak,
          before,
        } = await withPeakRss(() =>
          engine.run(
            defineWorkflow({
              name: "big",
              steps: {
                a: {
                  language: "python",
                  memory: 2048,
                  code: "def run():\n    b = bytearray(400 << 20)\n    return len(b)",
                },
              },
            }),
          ),
        );
        expect(report.steps.a?.error?.name).toBe("MemoryLimitError");
        expect(peak - before).toBeLessThan(128 * MB + 300 * MB);
      },
    },
  ];
  for (const c of cases) it(c.title, c.body, 60_000);
});
