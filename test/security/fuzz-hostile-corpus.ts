/**
 * Hand-written hostile workflow files for the loaders: Lua files that loop, allocate,
 * recurse, abuse coroutines, metatables and errors; YAML alias bombs, tags and deep
 * nesting; JSON nesting, prototype keys, odd numbers and odd characters; files too big.
 * Lua files that hang the host's thread (pattern bombs, finalizers, C-heavy loops) are in
 * stall-attacks.test.ts, where a child process can be killed.
 */
import type { Format } from "./fuzz-generators.js";

export interface HostileFile {
  readonly name: string;
  readonly format: Format;
  readonly text: string;
}

const TAIL = `\nworkflow = { name = "w", steps = { a = { code = "function run() return 1 end" } } }\n`;
const lua = (name: string, body: string, tail = TAIL): HostileFile => ({
  name,
  format: "lua",
  text: body + tail,
});
const MIB = 1024 * 1024;

export const HOSTILE_FILES: readonly HostileFile[] = [
  lua("endless loop", "while true do end"),
  lua("table memory bomb", "local t, i = {}, 0 while true do i = i + 1 t[i] = { i } end"),
  lua("string.rep of 1 GiB", "local s = string.rep('x', 2^30)"),
  lua("string doubling", "local s = 'x' for i = 1, 40 do s = s .. s end"),
  lua("gsub doubling", "local s = ('x'):rep(1000) while true do s = s:gsub('.', '%0%0') end"),
  lua("Lua recursion", "local function f() return f() + 1 end f()"),
  lua("C stack recursion through gsub", "local function f(s) return (s:gsub('.', f)) end f('ab')"),
  lua("endless loop in a coroutine", "coroutine.wrap(function() while true do end end)()"),
  lua("a million coroutines", "local t = {} for i = 1, 1e7 do t[i] = coroutine.create(function() end) end"),
  lua(
    "coroutine yielding out of pcall",
    "local co = coroutine.wrap(function() while true do pcall(coroutine.yield) end end) for i = 1, 1e5 do co() end",
  ),
  lua(
    "coroutine resumed after death",
    "local co = coroutine.create(function() error('x') end) coroutine.resume(co) coroutine.resume(co)",
  ),
  lua(
    "error object whose __tostring loops",
    "error(setmetatable({}, { __tostring = function() while true do end end }))",
    "",
  ),
  lua("error message of 50 MB", "error(string.rep('x', 5e7))", ""),
  lua("error with a table", "error({ code = 1 })", ""),
  lua(
    "<close> handler that loops",
    "do local x <close> = setmetatable({}, { __close = function() while true do end end }) end",
  ),
  lua("__gc that raises", "keep = setmetatable({}, { __gc = function() error('boom') end })"),
  lua("load of a text chunk that loops", "load('while true do end')()"),
  lua("load of bytecode", "load(getmetatable('').__index.dump(print))()"),
  lua("os.exit, io, require", "pcall(os.exit, 1) pcall(io.open, '/etc/passwd') pcall(require, 'os')"),
  lua(
    "metatable on _G",
    "setmetatable(_G, { __index = function() while true do end end, __newindex = function() end })",
  ),
  lua(
    "__pairs that loops",
    "",
    "workflow = setmetatable({ name = 'w', steps = { a = { code = 'x' } } }, { __pairs = function() while true do end end })",
  ),
  lua(
    "__index on the workflow table",
    "",
    "workflow = setmetatable({}, { __index = function() return { a = { code = 'x' } } end })",
  ),
  lua("cycle", "", "local s = {} s.self = s workflow = { name = 'w', steps = { a = s } }"),
  lua(
    "NaN and infinities",
    "",
    "workflow = { name = 'w', steps = { a = { code = 'x', timeout = 0/0, memory = math.huge } } }",
  ),
  lua(
    "50,000 steps",
    "",
    "local s = {} for i = 1, 50000 do s['s' .. i] = { code = 'x', depends_on = { 's' .. (i - 1) } } end workflow = { name = 'w', steps = s }",
  ),
  lua("60 MB of code", "", "workflow = { name = 'w', steps = { a = { code = string.rep('x', 6e7) } } }"),
  lua(
    "nested 1,000 deep",
    "",
    "local t = {} for i = 1, 1000 do t = { t } end workflow = { name = 'w', steps = { a = { code = 'x', env = t } } }",
  ),
  lua("workflow is a string, a function, missing", "", "workflow = 'steps'"),
  lua("returns a function", "", "return function() end"),
  lua(
    "duplicate step ids",
    "",
    "workflow = { name = 'w', steps = { a = { code = 'x' }, a = { code = 'y' } } }",
  ),
  lua(
    "NUL and invalid UTF-8 bytes",
    "local s = '\\0\\255\\254'",
    "workflow = { name = '\\0\\255', steps = { ['\\255'] = { code = '\\0' } } }",
  ),
  lua("syntax error", "workflow = {", ""),
  lua("a file just over 1 MiB", `-- ${"x".repeat(MIB)}`),
  {
    name: "billion laughs",
    format: "yaml",
    text: `a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n${Array.from(
      { length: 8 },
      (_, i) =>
        `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(9)
          .fill(`*${String.fromCharCode(97 + i)}`)
          .join(",")}]`,
    ).join("\n")}\nname: x\nsteps: {}\n`,
  },
  {
    name: "101 aliases",
    format: "yaml",
    text: `x: &x 1\nname: w\nsteps: {a: {code: x}}\nl: [${Array(101).fill("*x").join(",")}]\n`,
  },
  { name: "self-referencing alias", format: "yaml", text: "a: &a [*a]\nname: w\nsteps: {}\n" },
  {
    name: "merge-key bomb",
    format: "yaml",
    text: `b: &b {x: 1}\n${Array.from({ length: 50 }, (_, i) => `m${i}: &m${i} {<<: [*b${i ? `, *m${i - 1}` : ""}]}`).join("\n")}\nname: w\nsteps: {}\n`,
  },
  { name: "flow nesting 100,000 deep", format: "yaml", text: `${"[".repeat(100_000)}${"]".repeat(100_000)}` },
  {
    name: "block nesting 1,000 deep",
    format: "yaml",
    text: Array.from({ length: 1000 }, (_, i) => `${" ".repeat(i)}a:`).join("\n"),
  },
  {
    name: "tags",
    format: "yaml",
    text: "name: !!binary aGVsbG8=\nsteps: {a: {code: !!js/function 'function(){}', file: !include /etc/passwd}}\n",
  },
  { name: "many documents", format: "yaml", text: "---\nname: a\n".repeat(10_000) },
  { name: "BOM, CR and NUL", format: "yaml", text: '\ufeffname: w\r\nsteps:\r\n  a: {code: "\\0"}\u0000\n' },
  { name: "a key of 1 MiB - 100", format: "yaml", text: `${"k".repeat(MIB - 100)}: 1\n` },
  { name: "a YAML file just over 1 MiB", format: "yaml", text: `name: ${"x".repeat(MIB)}\n` },
  { name: "JSON nesting 100,000 deep", format: "json", text: `${"[".repeat(100_000)}${"]".repeat(100_000)}` },
  {
    name: "JSON object nesting 50,000 deep",
    format: "json",
    text: `${'{"a":'.repeat(50_000)}1${"}".repeat(50_000)}`,
  },
  {
    name: "__proto__ and constructor keys",
    format: "json",
    text: '{"__proto__": {"polluted": 1}, "name": "w", "constructor": {"prototype": {"polluted": 1}}, "steps": {"__proto__": {"code": "x"}, "a": {"code": "x", "env": {"__proto__": "x"}}}}',
  },
  {
    name: "huge and odd numbers",
    format: "json",
    text: '{"name": "w", "steps": {"a": {"code": "x", "timeout": 1e999, "retries": 1e308, "memory": -0}}}',
  },
  {
    name: "lone surrogates and NUL",
    format: "json",
    text: '{"name": "\\ud800\\u0000", "steps": {"\\udfff": {"code": "\\u0000"}}}',
  },
  {
    name: "duplicate keys",
    format: "json",
    text: '{"name": "a", "name": "b", "steps": {"a": {"code": "x"}, "a": {"code": "y"}}}',
  },
  { name: "not an object", format: "json", text: '"steps"' },
];
