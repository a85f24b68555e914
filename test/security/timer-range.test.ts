/**
 * Delays past the range of timers: Node fires a timer of more than 2^31 - 1 ms (about
 * 24.8 days) after 1 ms, so an unbounded `retry_delay * retry_backoff ** n` would retry at
 * once. The fields are bounded in the schema with a clear error, computed delays are
 * clamped, and the clock chains timers for a sleep longer than one timer can wait.
 */
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { defineWorkflow } from "../../src/core/builder.js";
import { WorkflowValidationError } from "../../src/core/errors.js";
import type { RunEvent } from "../../src/core/events.js";
import { timerClock } from "../../src/core/system-clock.js";
import {
  MAX_DELAY_SECONDS,
  MAX_RETRY_BACKOFF,
  MAX_TIMER_MS,
  retryDelayMs,
} from "../../src/core/timer-range.js";
import { parseWorkflow } from "../../src/core/validate.js";
import { createEngine } from "../../src/node/create-engine.js";

const step = (fields: Record<string, unknown>) => ({
  steps: { a: { language: "lua", code: "function run() return 1 end", ...fields } },
});

describe("delays and timeouts within the range of timers", () => {
  it.each([
    ["retry_delay", { retry_delay: 1e9 }, "steps.a.retry_delay"],
    ["retry_delay in defaults", { defaults: { retry_delay: MAX_DELAY_SECONDS + 1 } }, "defaults.retry_delay"],
    ["retry_backoff", { retry_backoff: 1e6 }, "steps.a.retry_backoff"],
    ["timeout", { timeout: 1e12 }, "steps.a.timeout"],
    ["timeout of Infinity-like size", { timeout: Number.MAX_VALUE }, "steps.a.timeout"],
  ])("a %s past the bound is refused with an error naming it", (_what, fields, path) => {
    const raw = "defaults" in fields ? { ...fields, ...step({}) } : step(fields);
    const r = parseWorkflow(raw);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error).toBeInstanceOf(WorkflowValidationError);
    const issue = r.error.issues.find((i) => i.path === path);
    expect(issue?.message, r.error.message).toMatch(/must be at most (2147483 seconds|100)/);
  });

  it("the bounds themselves are accepted", () => {
    const r = parseWorkflow(
      step({ timeout: MAX_DELAY_SECONDS, retry_delay: MAX_DELAY_SECONDS, retry_backoff: MAX_RETRY_BACKOFF }),
    );
    expect(r.ok).toBe(true);
  });

  it("computed retry delays stay finite, whole and within one timer (property)", () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: MAX_DELAY_SECONDS, noNaN: true }),
        fc.double({ min: 1, max: MAX_RETRY_BACKOFF, noNaN: true }),
        fc.integer({ min: 1, max: 101 }),
        (delay, backoff, attempt) => {
          const ms = retryDelayMs(delay, backoff, attempt);
          expect(Number.isInteger(ms)).toBe(true);
          expect(ms).toBeGreaterThanOrEqual(0);
          expect(ms).toBeLessThanOrEqual(MAX_TIMER_MS);
          if (delay === 0) expect(ms).toBe(0);
        },
      ),
      { numRuns: 2000 },
    );
    expect(retryDelayMs(MAX_DELAY_SECONDS, MAX_RETRY_BACKOFF, 101)).toBe(MAX_TIMER_MS);
    expect(retryDelayMs(2, 3, 3)).toBe(18_000);
  });

  it("a sleep longer than one timer is a chain of timers, each within range", async () => {
    const armed: number[] = [];
    let pending: (() => void) | undefined;
    const clock = timerClock(
      {
        setTimeout: (fn: () => void, ms: number) => {
          armed.push(ms);
          pending = fn;
          return armed.length;
        },
        clearTimeout: () => {},
      },
      () => 0,
    );
    let woke = false;
    const total = MAX_TIMER_MS * 2 + 12_345;
    const sleeping = clock.sleep(total).then(() => {
      woke = true;
    });
    for (let i = 0; i < 2; i++) {
      pending?.();
      await Promise.resolve();
      expect(woke, `woke after timer ${i + 1}`).toBe(false);
    }
    pending?.();
    await sleeping;
    expect(woke).toBe(true);
    expect(armed).toEqual([MAX_TIMER_MS, MAX_TIMER_MS, 12_345]);
  });

  describe("a run", () => {
    const engine = createEngine({ threads: 1, timeout: 10 });
    afterAll(() => engine.close());

    it("waits for a retry past the range of timers instead of retrying at once", async () => {
      // A definition made by hand (not through the schema): its delay is clamped and the wait chained.
      const valid = defineWorkflow({
        name: "long-retry",
        steps: { a: { language: "lua", retries: 100, code: "function run() error('again') end" } },
      });
      const workflow = {
        ...valid,
        steps: valid.steps.map((s) => ({ ...s, retryDelay: MAX_DELAY_SECONDS * 10, retryBackoff: 1e300 })),
      };
      const handle = engine.start(workflow);
      const events: RunEvent[] = [];
      const seen = (async () => {
        for await (const e of handle) events.push(e);
      })();
      // Until the first attempt failed (slow on a loaded machine), then a while more: no second attempt.
      for (let i = 0; i < 200 && !events.some((e) => e.type === "step-retrying"); i++)
        await new Promise((r) => setTimeout(r, 100));
      await new Promise((r) => setTimeout(r, 1500));
      const retrying = events.filter((e) => e.type === "step-retrying");
      expect(retrying.length, JSON.stringify(events.map((e) => e.type))).toBe(1);
      expect(retrying[0]?.type === "step-retrying" && retrying[0].delayMs).toBe(MAX_TIMER_MS);
      expect(events.filter((e) => e.type === "step-started")).toHaveLength(1);
      handle.cancel();
      const report = await handle.report;
      await seen;
      expect(report.steps.a?.attempts).toBe(1);
    }, 30_000);
  });
});
