/**
 * Lua steps trying to exhaust the engine: string and pattern bombs, CPU (loops that catch
 * the interrupt, coroutines, error objects), memory, output, results, recursion and the
 * workspace.
 */
import { expect } from "vitest";
import type { Attack } from "./attack-runner.js";
import { SECURITY_LIMITS } from "./attack-runner.js";

const lua = (body: string) => `function run(inputs)\n${body}\nend\n`;
const MB = 1 << 20;
const stopped = { step: { timeout: 1 }, errors: ["StepTimeoutError"], maxMs: 1500 } as const;

export const luaLimitAttacks: readonly Attack[] = [
  {
    name: "string.rep of 2^31 bytes",
    category: "string-bomb",
    language: "lua",
    errors: ["StepRuntimeError", "MemoryLimitError"],
    code: () => lua(`return #string.rep("x", 2^31)`),
  },
  {
    name: "string.rep and gsub doubling until memory runs out",
    category: "string-bomb",
    language: "lua",
    step: { memory: 64 },
    errors: ["MemoryLimitError"],
    maxRssGrowth: 64 * MB + 300 * MB,
    code: () => lua(`local s = string.rep("x", 1 << 20)\nwhile true do s = s:gsub(".", "%0%0") end`),
  },
  {
    name: "pattern backtracking bomb in C",
    category: "string-bomb",
    language: "lua",
    thread: true,
    ...stopped,
    code: () => lua(`return string.find(string.rep("a", 40), string.rep("a*", 30) .. "b")`),
  },
  {
    name: "busy loop",
    category: "timeout",
    language: "lua",
    thread: true,
    ...stopped,
    code: () => lua("while true do end"),
  },
  {
    name: "a loop that catches the interrupt with pcall",
    category: "timeout",
    language: "lua",
    ...stopped,
    code: () => lua("while true do pcall(function() while true do end end) end"),
  },
  {
    name: "a busy loop inside a coroutine",
    category: "timeout",
    language: "lua",
    ...stopped,
    code: () => lua("coroutine.wrap(function() while true do end end)()"),
  },
  {
    name: "an error object whose __tostring loops",
    category: "timeout",
    language: "lua",
    ...stopped,
    code: () => lua("error(setmetatable({}, { __tostring = function() while true do end end }))"),
  },
  {
    name: "a table that grows until memory runs out",
    category: "memory",
    language: "lua",
    step: { memory: 64 },
    errors: ["MemoryLimitError"],
    maxRssGrowth: 64 * MB + 300 * MB,
    code: () => lua(`local t = {}\nlocal i = 0\nwhile true do i = i + 1 t[i] = { i, tostring(i) } end`),
  },
  {
    name: "print flood",
    category: "output",
    language: "lua",
    errors: ["OutputLimitError"],
    maxMs: 10_000,
    code: () => lua(`local s = string.rep("x", 1000)\nwhile true do print(s) end`),
    check: (step) => expect(step.stdout.length).toBeLessThanOrEqual(SECURITY_LIMITS.outputLimit + 1024),
  },
  {
    name: "sandflow.eprint flood",
    category: "output",
    language: "lua",
    errors: ["OutputLimitError"],
    maxMs: 10_000,
    code: () => lua(`local s = string.rep("y", 1000)\nwhile true do sandflow.eprint(s) end`),
  },
  {
    name: "a result larger than the result limit",
    category: "result",
    language: "lua",
    errors: ["ResultLimitError"],
    code: () => lua(`return string.rep("x", ${SECURITY_LIMITS.resultLimit + 1})`),
  },
  {
    name: "a result nested 100,000 deep and a cycle",
    category: "result",
    language: "lua",
    errors: ["InvalidResultError"],
    code: () =>
      lua(
        `local t = {}\nfor i = 1, 100000 do t = { t } end\nlocal c = {}\nc.self = c\nreturn { deep = t, cycle = c }`,
      ),
  },
  {
    name: "an error message of 20 MB",
    category: "result",
    language: "lua",
    code: () => lua(`error(string.rep("x", 20 * 1024 * 1024))`),
    check: (step) => expect(step.error?.message.length ?? 0).toBeLessThanOrEqual(1 << 20),
  },
  {
    name: "unbounded Lua recursion",
    category: "recursion",
    language: "lua",
    code: () => `local function f(n) return f(n + 1) + 1 end\n${lua("return f(1)")}`,
  },
  {
    name: "C stack recursion through gsub callbacks",
    category: "recursion",
    language: "lua",
    code: () => `local function f(s) return (s:gsub(".", f)) end\n${lua('return f("ab")')}`,
  },
  {
    name: "write_file beyond the 4 MiB workspace limit",
    category: "workspace",
    language: "lua",
    errors: ["WorkspaceLimitError"],
    code: () =>
      lua(
        `local s = string.rep("x", 1 << 20)\nfor i = 1, 8 do sandflow.write_file("/workspace/f" .. i, s) end`,
      ),
  },
  {
    name: "write_file beyond the limit with the error swallowed",
    category: "workspace",
    language: "lua",
    mayPass: true,
    errors: ["WorkspaceLimitError"],
    code: () =>
      lua(
        `local s = string.rep("x", 1 << 20)\nfor i = 1, 8 do pcall(sandflow.write_file, "/workspace/f" .. i, s) end\nreturn #sandflow.list_files("/workspace")`,
      ),
    check: (step) => {
      if (step.status === "succeeded") expect(step.output).toBeLessThanOrEqual(4);
    },
  },
  {
    name: "20,000 empty files with 240-character names",
    category: "workspace",
    language: "lua",
    errors: ["WorkspaceLimitError"],
    code: () =>
      lua(
        `local n = string.rep("n", 240)\nfor i = 1, 20000 do sandflow.write_file("/workspace/" .. n .. i, "") end\nreturn 1`,
      ),
  },
];
