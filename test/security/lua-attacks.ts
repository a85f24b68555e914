/**
 * Lua steps against the restricted wasmoon state: host files and environment, processes,
 * JS objects, bytecode, string and pattern bombs, CPU, memory, output, results, recursion
 * and the workspace. An attack that gets through returns a string with ESCAPED in it.
 */
import { expect } from "vitest";
import type { Attack } from "./attack-runner.js";
import { SECURITY_LIMITS } from "./security-engine.js";

const lua = (body: string) => `function run(inputs)\n${body}\nend\n`;
const lit = (s: string) => JSON.stringify(s);
const MB = 1 << 20;
const stopped = { step: { timeout: 1 }, errors: ["StepTimeoutError"], maxMs: 1500 } as const;

export const luaAttacks: readonly Attack[] = [
  {
    name: "io.open, dofile and loadfile on the canary",
    category: "host-files",
    language: "lua",
    thread: true,
    code: (c) =>
      lua(`for _, f in ipairs({ function() return io.open(${lit(c.canaryFile)}):read("a") end,
  function() return dofile(${lit(c.canaryFile)}) end, function() return loadfile(${lit(c.canaryFile)})() end }) do
  local ok, v = pcall(f)
  if ok then return "ESCAPED " .. tostring(v) end
end
error("all blocked")`),
  },
  {
    name: "sandflow.read_file of host paths, with and without ..",
    category: "host-files",
    language: "lua",
    code: (c) =>
      lua(`for _, p in ipairs({ ${lit(c.canaryFile)}, "/workspace/../../.." .. ${lit(c.canaryFile)}, "../" .. ${lit(c.canaryFile)}, "/etc/passwd" }) do
  local ok, v = pcall(sandflow.read_file, p)
  if ok then return "ESCAPED " .. tostring(v) end
end
error("all blocked")`),
  },
  {
    name: "sandflow.write_file to a host path",
    category: "host-files",
    language: "lua",
    mayPass: true,
    code: (c) =>
      lua(
        `sandflow.write_file("/tmp/../../" .. ${lit(c.writeTarget)}, "x")\nreturn "wrote under the sandbox's /tmp only"`,
      ),
  },
  {
    name: "os.getenv of the canary variable and HOME",
    category: "host-env",
    language: "lua",
    mayPass: true,
    code: (c) =>
      lua(`local v = os.getenv(${lit(c.envName)}) or os.getenv("HOME") or os.getenv("PATH")
if v then return "ESCAPED " .. v end
local n = 0 for _ in pairs(sandflow.env) do n = n + 1 end
return n`),
  },
  {
    name: "os.execute, io.popen, os.exit",
    category: "processes",
    language: "lua",
    thread: true,
    code: (c) =>
      lua(`for _, f in ipairs({ function() return os.execute("touch ${c.writeTarget}") end,
  function() return io.popen("touch ${c.writeTarget}") end, function() return os.exit(3) end }) do
  local ok, v = pcall(f)
  if ok then return "ESCAPED " .. tostring(v) end
end
error("all blocked")`),
  },
  {
    name: "require, package.loadlib, debug and collectgarbage",
    category: "processes",
    language: "lua",
    code: () =>
      lua(`for _, f in ipairs({ function() return require("socket") end, function() return package.loadlib("libc.so.6", "system") end,
  function() return debug.getregistry() end, function() return collectgarbage("count") end }) do
  local ok, v = pcall(f)
  if ok then return "ESCAPED " .. tostring(v) end
end
error("all blocked")`),
  },
  {
    name: "network: require('socket'), io.popen('curl'), a fetch global",
    category: "network",
    language: "lua",
    code: (c) =>
      lua(`for _, f in ipairs({ function() return require("socket").connect("127.0.0.1", ${c.tcpPort}) end,
  function() return io.popen("curl ${c.httpUrl}"):read("a") end, function() return fetch("${c.httpUrl}") end,
  function() return http.request("${c.httpUrl}") end }) do
  local ok, v = pcall(f)
  if ok then return "ESCAPED " .. tostring(v) end
end
error("no network")`),
  },
  {
    name: "reach a JS object: inputs.constructor, js, __sandflow_host",
    category: "js-bridge",
    language: "lua",
    mayPass: true,
    code: () =>
      lua(`local found = {}
if type(inputs) == "table" and inputs.constructor ~= nil then found[#found + 1] = "inputs.constructor" end
if js ~= nil then found[#found + 1] = "js" end
if __sandflow_host ~= nil then found[#found + 1] = "__sandflow_host" end
if #found > 0 then return "ESCAPED " .. table.concat(found, ",") end
return "none"`),
  },
  {
    name: "tables with __proto__ and functions handed to the host",
    category: "prototype-pollution",
    language: "lua",
    mayPass: true,
    code: () =>
      lua(`pcall(sandflow.write_file, { ["__proto__"] = { polluted = "yes" } }, { constructor = print })
pcall(sandflow.read_file, setmetatable({}, { __tostring = function() return "/workspace/x" end }))
sandflow.write_file("/workspace/__proto__", "a")
sandflow.write_file("/workspace/constructor", "b")
return sandflow.list_files("/workspace")`),
  },
  {
    name: "load(string.dump(f), nil, 'b')",
    category: "bytecode",
    language: "lua",
    thread: true,
    code: () => lua(`return load(string.dump(function() return 1 end), nil, "b")()`),
  },
  {
    name: "a binary chunk as text, with mode 'bt', and through a reader function",
    category: "bytecode",
    language: "lua",
    code: () =>
      lua(`local chunk = "\\27Lua\\84\\0\\25\\147\\13\\10\\26\\10\\4\\8\\8"
for _, f in ipairs({ function() return load(chunk) end, function() return load(chunk, "x", "bt") end,
  function() local done = false return load(function() if done then return nil end done = true return chunk end) end }) do
  local ok, v = pcall(f)
  if ok and v ~= nil then return "ESCAPED " .. tostring(v) end
end
error("all blocked")`),
  },
  {
    name: "string.dump through the string metatable, then load of its bytes",
    category: "bytecode",
    language: "lua",
    mayPass: true,
    hole: 'string.dump is removed from the global string table only: ("").dump and getmetatable("").__index.dump still dump functions (the load wrapper still refuses the bytes)',
    code: () =>
      lua(`local dump = getmetatable("").__index.dump
if dump == nil then return "no dump" end
local bytes = dump(print)
local ok, f = pcall(load, bytes)
if ok and f then return "ESCAPED loaded bytecode" end
return "ESCAPED dumped " .. #bytes .. " bytes of the bootstrap's print"`),
  },
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
    hole: "error messages are not bounded: the report carries all 20 MB",
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
    hole: "the write is refused, but the step fails with StepRuntimeError ('WorkspaceLimitError: ...' in the message), not WorkspaceLimitError",
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
    hole: "only file contents count towards the workspace limit: names and empty files are free",
    code: () =>
      lua(
        `local n = string.rep("n", 240)\nfor i = 1, 20000 do sandflow.write_file("/workspace/" .. n .. i, "") end\nreturn 1`,
      ),
  },
];
