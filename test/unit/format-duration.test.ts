import { describe, expect, it } from "vitest";
import { formatDuration } from "../../src/cli/format.js";

describe("formatDuration", () => {
  it("says milliseconds, seconds, minutes and hours, never 60 of a unit", () => {
    expect(formatDuration(null)).toBe("-");
    expect(formatDuration(12.4)).toBe("12 ms");
    expect(formatDuration(1250)).toBe("1.25 s");
    expect(formatDuration(59_994)).toBe("59.99 s");
    expect(formatDuration(59_996)).toBe("1 min 0 s");
    expect(formatDuration(125_000)).toBe("2 min 5 s");
    expect(formatDuration(119_600)).toBe("2 min 0 s");
    expect(formatDuration(3_599_400)).toBe("59 min 59 s");
    expect(formatDuration(3_600_000)).toBe("1 h 0 min");
    expect(formatDuration(12_030_000)).toBe("3 h 21 min");
    expect(formatDuration(7_199_999)).toBe("2 h 0 min");
  });
});
