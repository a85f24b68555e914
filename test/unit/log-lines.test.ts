import { describe, expect, it } from "vitest";
import { LogLines } from "../../src/cli/log-lines.js";

describe("step output as whole lines for the progress display", () => {
  it("joins a line cut across chunks, per step and stream", () => {
    const logs = new LogLines();
    expect(logs.push("a", "stdout", "sh sees **")).toEqual([]);
    expect(logs.push("b", "stdout", "other\n")).toEqual(["other"]);
    expect(logs.push("a", "stderr", "warn")).toEqual([]);
    expect(logs.push("a", "stdout", "*\nnext line\npart")).toEqual(["sh sees ***", "next line"]);
    expect(logs.push("a", "stdout", "ial\n")).toEqual(["partial"]);
    expect(logs.push("a", "stdout", "\n\n")).toEqual(["", ""]);
    // the attempt ended: what is held comes out, stdout first
    expect(logs.push("a", "stdout", "no newline")).toEqual([]);
    expect(logs.flush("a")).toEqual(["no newline", "warn"]);
    expect(logs.flush("a")).toEqual([]);
  });

  it("gives back every step's unfinished line at the end of a run", () => {
    const logs = new LogLines();
    logs.push("a", "stdout", "x");
    logs.push("b", "stderr", "y");
    expect(logs.flushAll()).toEqual([
      ["a", "x"],
      ["b", "y"],
    ]);
    expect(logs.flushAll()).toEqual([]);
  });

  it("does not hold a line without end forever", () => {
    const logs = new LogLines();
    const long = "z".repeat(9000);
    expect(logs.push("a", "stdout", long)).toEqual([long]);
    expect(logs.flush("a")).toEqual([]);
  });
});
