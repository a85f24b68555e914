import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isTaskResult } from "../../src/protocol/check-results.js";
import { taskResultSchema } from "../../src/protocol/messages.js";

const anyValue = fc.oneof(
  fc.string(),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.constant(undefined),
  fc.constant(new Uint8Array([1])),
  fc.array(fc.string(), { maxLength: 2 }),
);

const validish = fc.record({
  index: fc.oneof(fc.nat(), fc.integer({ min: -3, max: -1 }), fc.double()),
  outcome: fc.oneof(
    fc.record({ ok: fc.constant(true), outputJson: fc.oneof(fc.string(), anyValue) }),
    fc.record({
      ok: fc.constant(false),
      error: fc.oneof(fc.record({ name: fc.string(), message: fc.oneof(fc.string(), anyValue) }), anyValue),
    }),
    anyValue,
  ),
  changes: fc.oneof(
    fc.record({
      upserts: fc.oneof(
        fc.dictionary(fc.string(), fc.oneof(fc.constant(null), fc.constant(new Uint8Array(2)), anyValue)),
        anyValue,
      ),
      deletes: fc.oneof(fc.array(fc.string()), fc.array(anyValue)),
    }),
    anyValue,
  ),
  stdout: fc.oneof(fc.string(), anyValue),
  stderr: fc.string(),
  logEvents: fc.oneof(fc.nat(), fc.integer({ min: -2, max: -1 })),
  logTail: fc.oneof(
    fc.array(
      fc.record({
        stream: fc.constantFrom("stdout", "stderr", "other"),
        text: fc.oneof(fc.string(), anyValue),
      }),
      { maxLength: 3 },
    ),
    anyValue,
  ),
  startedAt: fc.oneof(fc.double(), fc.string()),
  finishedAt: fc.double({ noNaN: true }),
});

describe("isTaskResult", () => {
  it("agrees with the zod schema on valid and broken results", () => {
    fc.assert(
      fc.property(fc.oneof(validish, anyValue), (value) => {
        expect(isTaskResult(value)).toBe(taskResultSchema.safeParse(value).success);
      }),
      { numRuns: 3000 },
    );
  });

  it("accepts a real result", () => {
    const result = {
      index: 0,
      outcome: { ok: true, outputJson: "1" },
      changes: { upserts: { "/tmp/a": new Uint8Array(1), "/tmp/d": null }, deletes: ["/tmp/x"] },
      stdout: "",
      stderr: "",
      logEvents: 0,
      logTail: [{ stream: "stdout", text: "hi" }],
      startedAt: 1,
      finishedAt: 2,
    };
    expect(isTaskResult(result)).toBe(true);
    expect(taskResultSchema.safeParse(result).success).toBe(true);
  });
});
