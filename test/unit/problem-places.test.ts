import { describe, expect, it } from "vitest";
import { pathKeys, placeProblems } from "../../src/web/problem-places.js";

const YAML = `name: demo
steps:
  fetch:
    language: python
    code: "x"
  count:
    language: lua
    depends_on: [fetch, nope]
    retries: -1
`;

const at = (text: string, p: { from: number; to: number }) => text.slice(p.from, p.to);
const lineOf = (text: string, offset: number) => text.slice(0, offset).split("\n").length;

describe("placing workflow problems in the text", () => {
  it("splits issue paths into keys", () => {
    expect(pathKeys("steps.a.depends_on[1]")).toEqual(["steps", "a", "depends_on", 1]);
    expect(pathKeys('steps["odd id"].code')).toEqual(["steps", "odd id", "code"]);
  });

  it("marks a YAML issue at the node its path names", () => {
    const [dep, retries] = placeProblems(YAML, "yaml", [
      { path: "steps.count.depends_on[1]", message: "unknown step 'nope'" },
      { path: "steps.count.retries", message: "too small" },
    ]);
    expect(at(YAML, dep as never)).toBe("nope");
    expect(dep?.message).toBe("steps.count.depends_on[1]: unknown step 'nope'");
    expect(lineOf(YAML, (retries as { from: number }).from)).toBe(9);
  });

  it("marks a missing key at its parent, and JSON like YAML", () => {
    const [p] = placeProblems(YAML, "yaml", [{ path: "steps.fetch.timeout", message: "x" }]);
    expect(lineOf(YAML, (p as { from: number }).from)).toBe(4);
    const json = '{\n  "steps": {\n    "a": { "code": 3 }\n  }\n}';
    const [q] = placeProblems(json, "json", [{ path: "steps.a.code", message: "must be a string" }]);
    expect(at(json, q as never)).toBe("3");
  });

  it("marks a Lua issue at the step's key, and load errors at their line", () => {
    const lua =
      'workflow = {\n  steps = {\n    first = { code = "" },\n    second = { depends_on = { "none" } },\n  },\n}';
    const [p] = placeProblems(lua, "lua", [{ path: "steps.second.depends_on[0]", message: "unknown" }]);
    expect(lineOf(lua, (p as { from: number }).from)).toBe(4);
    const [syntax] = placeProblems(YAML, "yaml", [
      { message: "not valid YAML: bad indent (line 7, column 3)" },
    ]);
    expect(lineOf(YAML, (syntax as { from: number }).from)).toBe(7);
    const [luaError] = placeProblems(lua, "lua", [{ message: '[string "wf"]:3: unexpected symbol' }]);
    expect(lineOf(lua, (luaError as { from: number }).from)).toBe(3);
    const [atEnd] = placeProblems(YAML, "yaml", [{ message: "unexpected end (line 10, column 1)" }]);
    expect(lineOf(YAML, (atEnd as { from: number }).from)).toBe(9);
    const [nowhere] = placeProblems(YAML, "yaml", [{ message: "something" }]);
    expect((nowhere as { from: number }).from).toBe(0);
  });
});
