/**
 * A wasmoon Lua state restricted for untrusted code: only base, table, string, math,
 * utf8 and coroutine, plus os.time/clock/date/difftime/getenv, and io and
 * os.remove/rename/tmpname over the step's workspace (lua-io.ts); no package, debug, require,
 * dofile, loadfile or binary chunks; inputs pass as JSON text, never as live host objects.
 * An instruction hook polls an interrupt check so a runaway loop can be stopped.
 */
import type { LuaEngine, LuaFactory } from "wasmoon";
import { LUA_REGISTRYINDEX, LuaLibraries } from "wasmoon";
import { LUA_IO_SOURCE } from "./lua-io.js";
import { LUA_JSON_SOURCE } from "./lua-json.js";

/** Instructions between two checks of the interrupt hook. */
export const HOOK_INTERVAL = 1000;
const LUA_MASKCOUNT = 8;

// Runs once per state with the libraries still whole, keeps what it needs in locals,
// strips the globals, and returns the entry points the host calls.
const BOOTSTRAP = String.raw`
local json = (function() ${LUA_JSON_SOURCE} end)()
local host = __sandflow_host
__sandflow_host = nil
local std_io = (function(...) ${LUA_IO_SOURCE} end)(host)
local raw_load, type, select, tostring, error, pcall, xpcall, rawget, setmetatable =
      load, type, select, tostring, error, pcall, xpcall, rawget, setmetatable
local traceback = debug.traceback
local concat = table.concat
debug = nil
local os_time, os_clock, os_date, os_difftime = os.time, os.clock, os.date, os.difftime
local step_env = {}
local getenv = function(name) return step_env[name] end
os = { time = os_time, clock = os_clock, date = os_date, difftime = os_difftime, getenv = getenv }
-- Steps see io and os's file functions (over their workspace); workflow files, which have
-- no workspace, see neither. Table chains keep global lookups on the VM's fast path.
local step_globals = setmetatable({
  io = std_io.io,
  os = {
    time = os_time, clock = os_clock, date = os_date, difftime = os_difftime, getenv = getenv,
    remove = std_io.remove, rename = std_io.rename, tmpname = std_io.tmpname,
  },
}, { __index = _G })
dofile, loadfile, require, collectgarbage = nil, nil, nil, nil
-- Lua runs __gc finalizers with debug hooks off, so no interrupt could stop one that
-- loops (in a step, or when the state closes outside any step): refuse them.
_G.setmetatable = function(t, mt)
  if type(mt) == "table" and rawget(mt, "__gc") ~= nil then
    error("sandflow: __gc metamethods are not allowed", 2)
  end
  return setmetatable(t, mt)
end
string.dump = nil
-- Strings index their own method table (not always the global one): no dump there either.
getmetatable("").__index.dump = nil
load = function(chunk, name, mode, env)
  if mode ~= nil and mode ~= "t" then error("sandflow: only text chunks can be loaded (mode 't')", 2) end
  if type(chunk) == "string" and chunk:byte(1) == 27 then error("sandflow: binary chunks are not allowed", 2) end
  if env == nil then return raw_load(chunk, name, "t") end
  return raw_load(chunk, name, "t", env)
end
local function join(...)
  local n = select("#", ...)
  local parts = {}
  for i = 1, n do parts[i] = tostring((select(i, ...))) end
  return concat(parts, "\t")
end
print = function(...) host("emit", 1, join(...) .. "\n") end
local function fs(op) return function(path, data)
  local r = host(op, path, data)
  if type(r) == "string" and r:sub(1, 1) == "!" then error(r:sub(2), 2) end
  return r
end end
sandflow = {
  json = { encode = function(v) return json.encode(v, "value") end, decode = json.decode },
  array = json.array,
  eprint = function(...) host("emit", 2, join(...) .. "\n") end,
  read_file = fs("read"),
  write_file = fs("write"),
  remove_file = fs("remove"),
  list_files = function(dir) return json.decode(fs("list")(dir)) end,
}

local compiled = {}
local function compile(id, code, name)
  local env = setmetatable({}, { __index = step_globals })
  local fn, err = raw_load(code, name, "t", env)
  if not fn then return "0" .. tostring(err) end
  local ok, ret = xpcall(fn, traceback)
  if not ok then return "0" .. tostring(ret) end
  local run = rawget(env, "run")
  if type(run) ~= "function" and type(ret) == "function" then run = ret end
  if type(run) ~= "function" then return "0a Lua step must define function run(inputs)" end
  compiled[id] = run
  return "1"
end

-- sandflow.params is decoded when a step first reads it (a for_each item seldom does, and
-- decoding JSON in Lua costs more than running a trivial step).
local params_json = ""
setmetatable(sandflow, { __index = function(t, k)
  if k ~= "params" then return nil end
  local p = params_json ~= "" and json.decode(params_json) or {}
  rawset(t, "params", p)
  return p
end })
local function item_value(s)
  if s == "null" then return nil end
  if s:match("^-?%d+$") then return math.tointeger(tonumber(s)) or json.decode(s) end
  return json.decode(s)
end

local function invoke(id, inputs_json, attempt, step_id, run_id, env_json, p_json, item_json, index)
  local run = compiled[id]
  sandflow.attempt, sandflow.step_id, sandflow.run_id = attempt, step_id, run_id
  params_json = p_json
  rawset(sandflow, "params", nil)
  if index >= 0 then sandflow.item, sandflow.index = item_value(item_json), index
  else sandflow.item, sandflow.index = nil, nil end
  if env_json ~= "" then step_env = json.decode(env_json) end
  sandflow.env = step_env
  local inputs = json.decode(inputs_json)
  local ok, result = xpcall(run, traceback, inputs)
  std_io.flush_all()
  if not ok then return "0" .. tostring(result) end
  local encoded, out = pcall(json.encode, result, "result")
  if not encoded then return "2" .. json.describe(out) end
  return "1" .. out
end

local function evaluate(code, name)
  local env = setmetatable({}, { __index = _G })
  local fn, err = raw_load(code, name, "t", env)
  if not fn then return "0" .. tostring(err) end
  local ok, ret = pcall(fn)
  if not ok then return "0" .. tostring(ret) end
  local wf = rawget(env, "workflow")
  if wf == nil then wf = ret end
  if type(wf) ~= "table" then return "0the file must set a global 'workflow' table (workflow = { ... })" end
  local encoded, out = pcall(json.encode, wf, "workflow", "depends_on")
  if not encoded then return "2" .. json.describe(out) end
  return "1" .. out
end

return { compile = compile, invoke = invoke, evaluate = evaluate }
`;

/** The raw wasm exports of wasmoon's module used on the hot path. */
interface RawLua {
  readonly HEAPU8: Uint8Array;
  readonly HEAPU32: Uint32Array;
  _malloc(size: number): number;
  _free(ptr: number): void;
  _lua_gettop(L: number): number;
  _lua_settop(L: number, top: number): void;
  _lua_rawgeti(L: number, index: number, n: bigint): number;
  _lua_pushinteger(L: number, n: bigint): void;
  _lua_pushlstring(L: number, ptr: number, len: number): number;
  _lua_pcallk(L: number, nargs: number, nresults: number, errfunc: number, ctx: number, k: number): number;
  _lua_tolstring(L: number, index: number, lenPtr: number): number;
}

/** Host services the sandbox calls: printed text and the step's files. Return a string or nothing. */
export type LuaHostCall = (op: string, a: unknown, b: unknown) => string | undefined;

/** A restricted Lua state and its entry points. Results are tagged strings: `1` ok, `0` error, `2` not JSON. */
export interface LuaSandbox {
  readonly engine: LuaEngine;
  /** Compiles a step under a numeric id; `"1"` or `"0<message>"`. */
  compile(id: number, code: string, name: string): string;
  /**
   * Calls a compiled step with its inputs JSON; `"1<json>"`, `"0<error>"` or `"2<not JSON>"`.
   * `envJson` is the step's environment as JSON, or `""` when unchanged since the last call;
   * `paramsJson` is the run's params as JSON (`""`: none), `itemJson` and `index` a for_each
   * item and its index (`index` -1: not an item).
   */
  invoke(
    id: number,
    inputsJson: string,
    attempt: number,
    stepId: string,
    runId: string,
    envJson: string,
    paramsJson: string,
    itemJson: string,
    index: number,
  ): string;
  /** Runs a workflow file and encodes its `workflow` table; tagged like {@link invoke}. */
  evaluate(code: string, name: string): string;
  /** Bytes the Lua state has allocated. */
  memoryUsed(): number;
  /** Sets the most bytes the Lua state may allocate (allocation beyond fails with "not enough memory"). */
  setMemoryMax(bytes: number): void;
  close(): void;
}

/**
 * Creates a restricted Lua state.
 * @param check called every {@link HOOK_INTERVAL} instructions; a returned string is raised as a Lua error.
 */
export async function createLuaSandbox(
  factory: LuaFactory,
  host: LuaHostCall,
  check: () => string | undefined,
): Promise<LuaSandbox> {
  const engine = await factory.createEngine({
    openStandardLibs: false,
    enableProxy: false,
    injectObjects: false,
    traceAllocations: true,
  });
  const g = engine.global;
  for (const lib of [
    LuaLibraries.Base,
    LuaLibraries.Table,
    LuaLibraries.String,
    LuaLibraries.Math,
    LuaLibraries.UTF8,
    LuaLibraries.Coroutine,
    LuaLibraries.OS,
    LuaLibraries.Debug,
  ]) {
    g.loadLibrary(lib);
  }
  g.set("__sandflow_host", (op: string, a: unknown, b: unknown) => host(op, a, b));
  const lua = g.lua;
  const L = g.address;
  const mod = lua.module;
  let closing = false;
  const hook = mod.addFunction((state: number) => {
    const reason = closing ? "sandflow: the Lua state is closing" : check();
    if (reason !== undefined) {
      lua.lua_pushstring(state, reason);
      lua.lua_error(state);
    }
  }, "vii");
  lua.lua_sethook(L, hook, LUA_MASKCOUNT, HOOK_INTERVAL);

  // Calls go through the C API on the main thread (which carries the hook) rather than
  // wasmoon's function wrappers, which make a new thread per call without the hook; and
  // through the raw exports, which cost a quarter of wasmoon's cwrap wrappers.
  const raw = mod as unknown as RawLua;
  const lenPtr = raw._malloc(4);
  let buffer = raw._malloc(256);
  let bufferSize = 256;
  const encoder = new TextEncoder();
  const decoder = new TextDecoder();
  const pushString = (text: string) => {
    const max = text.length * 3 + 1;
    if (max > bufferSize) {
      raw._free(buffer);
      bufferSize = Math.max(max, bufferSize * 2);
      buffer = raw._malloc(bufferSize);
    }
    const { written } = encoder.encodeInto(text, raw.HEAPU8.subarray(buffer, buffer + bufferSize));
    raw._lua_pushlstring(L, buffer, written);
  };
  const call = (ref: number, args: readonly (string | number)[]): string => {
    const top = raw._lua_gettop(L);
    raw._lua_rawgeti(L, LUA_REGISTRYINDEX, BigInt(ref));
    for (const a of args) {
      if (typeof a === "number") raw._lua_pushinteger(L, BigInt(a));
      else pushString(a);
    }
    const status = raw._lua_pcallk(L, args.length, 1, 0, 0, 0);
    const ptr = raw._lua_tolstring(L, -1, lenPtr);
    const text = ptr
      ? decoder.decode(raw.HEAPU8.subarray(ptr, ptr + (raw.HEAPU32[lenPtr >> 2] as number)))
      : "";
    raw._lua_settop(L, top);
    return status === 0 ? text : `0${text}`;
  };

  g.loadString(`return (function() ${BOOTSTRAP} end)()`, "sandflow-bootstrap");
  const status = lua.lua_pcallk(L, 0, 1, 0, 0, null);
  if (status !== 0) throw new Error(`sandflow: the Lua bootstrap failed: ${lua.lua_tolstring(L, -1, null)}`);
  const refs: Record<string, number> = {};
  for (const name of ["compile", "invoke", "evaluate"]) {
    lua.lua_getfield(L, -1, name);
    refs[name] = lua.luaL_ref(L, LUA_REGISTRYINDEX);
  }
  lua.lua_settop(L, 0);
  const ref = (name: string) => refs[name] as number;
  return {
    engine,
    compile: (id, code, name) => call(ref("compile"), [id, code, name]),
    invoke: (id, inputsJson, attempt, stepId, runId, envJson, paramsJson, itemJson, index) =>
      call(ref("invoke"), [id, inputsJson, attempt, stepId, runId, envJson, paramsJson, itemJson, index]),
    evaluate: (code, name) => call(ref("evaluate"), [code, name]),
    memoryUsed: () => g.getMemoryUsed(),
    setMemoryMax: (bytes) => g.setMemoryMax(bytes),
    close: () => {
      // lua_close runs __gc finalizers: the hook stays on and stops each one at once, so a
      // finalizer that loops cannot hold the worker outside any step.
      closing = true;
      raw._free(lenPtr);
      raw._free(buffer);
      g.close();
      mod.removeFunction(hook);
    },
  };
}
