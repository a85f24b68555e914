/**
 * The same-run native anchor: what the older hybrid engines did per step, in one
 * unsandboxed interpreter process. One `python3` compiles each step's code, calls
 * `run(inputs)` and JSON-encodes the result, `steps` times; the same in one `lua5.4`
 * (with cjson from Debian, or a JSON encoder written in Lua when cjson is missing).
 * The time is taken inside the interpreter, so process start-up is not counted.
 */
import { execFileSync } from "node:child_process";
import { pythonExecutable } from "./baselines.js";
import type { Recorder } from "./recorder.js";
import { repeat } from "./util.js";

const SECTION = "Native in-process baseline";

/** Settings of the native anchor. */
export interface NativeConfig {
  readonly steps: number;
  readonly reps: number;
}

const PYTHON = `
import json, sys, time
n = int(sys.argv[1])
code = "def run(inputs):\\n    return 1\\n"
inputs = {}
t0 = time.perf_counter()
for i in range(n):
    ns = {}
    exec(compile(code, "step", "exec"), ns)
    out = json.dumps(ns["run"](inputs))
print(n / (time.perf_counter() - t0))
`;

const LUA = `
local n = tonumber(arg[1])
local ok, cjson = pcall(require, "cjson")
local encode
if ok then encode = cjson.encode else
  -- a JSON encoder for the values a trivial step returns (numbers, strings, booleans, tables)
  local function enc(v)
    local t = type(v)
    if t == "number" then return string.format("%.14g", v)
    elseif t == "boolean" then return tostring(v)
    elseif t == "string" then return '"' .. v:gsub('[%c"\\\\]', function(c) return string.format("\\\\u%04x", c:byte()) end) .. '"'
    elseif t == "table" then
      local parts = {}
      for k, x in pairs(v) do parts[#parts + 1] = enc(tostring(k)) .. ":" .. enc(x) end
      return "{" .. table.concat(parts, ",") .. "}"
    end
    return "null"
  end
  encode = enc
end
local code = "function run(inputs) return 1 end"
local inputs = {}
local t0 = os.clock()
for i = 1, n do
  local env = setmetatable({}, { __index = _G })
  load(code, "step", "t", env)()
  local out = encode(env.run(inputs))
end
print(n / (os.clock() - t0))
print(ok and "cjson" or "lua-encoder")
`;

function lua(): string | undefined {
  for (const file of ["lua5.4", "lua"]) {
    try {
      execFileSync(file, ["-e", ""], { stdio: "ignore" });
      return file;
    } catch {
      // not installed
    }
  }
  return undefined;
}

function measure(file: string, args: readonly string[]): { rate: number; extra: string } {
  const out = execFileSync(file, [...args], { encoding: "utf8", env: {} })
    .trim()
    .split("\n");
  return { rate: Number(out[0]), extra: out[1] ?? "" };
}

/** Records `native.python` and `native.lua` (steps/s of one native interpreter process). */
export async function benchNative(rec: Recorder, cfg: NativeConfig): Promise<void> {
  const python = pythonExecutable();
  if (python) {
    const samples = await repeat(
      cfg.reps,
      async () => measure(python, ["-c", PYTHON, String(cfg.steps)]).rate,
    );
    rec.add(
      "native.python",
      SECTION,
      "python3, one process: compile + run(inputs) + json.dumps per step",
      samples,
      "steps/s",
      `${python}, ${cfg.steps} steps`,
    );
  } else rec.gap("native.python", SECTION, "python3 in-process baseline", "steps/s", "python3 not installed");
  const luaFile = lua();
  if (luaFile) {
    let encoder = "";
    const samples = await repeat(cfg.reps, async () => {
      const r = measure(luaFile, ["-e", LUA.replace("arg[1]", String(cfg.steps))]);
      encoder = r.extra;
      return r.rate;
    });
    rec.add(
      "native.lua",
      SECTION,
      "lua5.4, one process: load + run(inputs) + JSON encode per step",
      samples,
      "steps/s",
      `${luaFile} with ${encoder}, ${cfg.steps} steps`,
    );
  } else rec.gap("native.lua", SECTION, "lua5.4 in-process baseline", "steps/s", "lua5.4 not installed");
}
