import { describe, expect, it } from "vitest";
import { LuaFactory } from "wasmoon";
import { createLuaWorkflowEvaluator } from "../../runtimes/lua/workflow-evaluator.js";
import { workflow } from "../../src/core/builder.js";
import { parseWorkflowSource } from "../../src/core/loaders/parse-source.js";
import { checkSchedule, lastFireAtOrBefore, nextFires } from "../../src/core/schedule.js";

const luaEvaluator = createLuaWorkflowEvaluator(() => new LuaFactory(), {
  instructionBudget: 1_000_000,
  memoryBudget: 8 * 1048576,
});

describe("workflow triggers: on, schedule, timezone", () => {
  it("reads the same triggers from Lua, YAML, JSON and the builder", async () => {
    const sources = [
      'return { on = { event = "a" }, schedule = "0 9 * * 1-5", timezone = "Europe/Paris", steps = { s = { code = "function run() end", language = "lua" } } }',
      'on: {event: a}\nschedule: "0 9 * * 1-5"\ntimezone: Europe/Paris\nsteps:\n  s: {language: lua, code: "function run() end"}\n',
      '{"on": [{"event": "a"}, {"event": "a"}], "schedule": "0 9 * * 1-5", "timezone": "Europe/Paris", "steps": {"s": {"language": "lua", "code": "function run() end"}}}',
    ];
    const built = workflow("b")
      .on("a")
      .schedule("0 9 * * 1-5", "Europe/Paris")
      .lua("s", "function run() end")
      .build();
    for (const text of sources) {
      const parsed = await parseWorkflowSource(text, { luaEvaluator });
      expect(parsed.ok, parsed.ok ? "" : parsed.error.message).toBe(true);
      if (!parsed.ok) continue;
      expect(parsed.value.events).toEqual(["a"]);
      expect(parsed.value.schedule).toEqual(built.schedule);
    }
    expect(built.schedule).toEqual({ cron: "0 9 * * 1-5", timezone: "Europe/Paris" });
    const none = workflow("n").lua("s", "function run() end").build();
    expect(none.events).toBeUndefined();
    expect(none.schedule).toBeUndefined();
  });

  it("computes fire times in the schedule's time zone", () => {
    const paris = { cron: "0 9 * * *", timezone: "Europe/Paris" };
    const at = Date.parse("2026-12-07T05:00:00Z");
    expect(nextFires(paris, at, 2).map((t) => new Date(t).toISOString())).toEqual([
      "2026-12-07T08:00:00.000Z",
      "2026-12-08T08:00:00.000Z",
    ]);
    expect(new Date(lastFireAtOrBefore(paris, at) as number).toISOString()).toBe("2026-12-06T08:00:00.000Z");
    const everySecond = { cron: "* * * * * *", timezone: undefined };
    expect(lastFireAtOrBefore(everySecond, 5000)).toBe(5000);
  });

  it("names what is wrong with a schedule", () => {
    expect(checkSchedule("* * *", undefined)).toMatchObject({
      ok: false,
      error: expect.stringMatching(/bad cron expression/),
    });
    expect(checkSchedule("0 0 30 2 *", undefined)).toMatchObject({ ok: false });
    expect(checkSchedule("0 9 * * *", "Nowhere/Land")).toMatchObject({
      ok: false,
      error: expect.stringMatching(/unknown time zone/),
    });
  });
});
