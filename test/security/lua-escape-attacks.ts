/**
 * Lua steps trying to leave the restricted wasmoon state: host files and environment,
 * processes, network, JS objects and bytecode. An attack that gets through returns a
 * string with ESCAPED in it.
 */
import type { Attack } from "./attack-runner.js";

const lua = (body: string) => `function run(inputs)\n${body}\nend\n`;
const lit = (s: string) => JSON.stringify(s);

export const luaEscapeAttacks: readonly Attack[] = [
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
    code: () =>
      lua(`local dump = getmetatable("").__index.dump
if dump == nil then return "no dump" end
local bytes = dump(print)
local ok, f = pcall(load, bytes)
if ok and f then return "ESCAPED loaded bytecode" end
return "ESCAPED dumped " .. #bytes .. " bytes of the bootstrap's print"`),
  },
];
