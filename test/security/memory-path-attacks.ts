/**
 * Memory a step allocates outside its interpreter's capped wasm memory: the worker's
 * JavaScript heap (file system nodes and names the in-memory file systems keep in
 * JavaScript), its array buffers (file data, grown by sparse writes that count one byte
 * each), and wasm memories. The host's watchdog measures each worker's whole memory while a
 * step runs and replaces the worker of a step that grows it past its allowance
 * (MemoryLimitError); the process tree stays bounded (maxRssGrowth) where the attacks
 * would take 2 GB and more unchecked.
 * Limits of the security engine: see {@link SECURITY_LIMITS} (256 MB of memory, 4 MiB of
 * workspace: the allowance is about 360 MB).
 */
import { expect } from "vitest";
import type { Attack } from "./attack-runner.js";

const py = (body: string) => `def run():\n${body.replace(/^/gm, "    ")}\n`;
const MB = 1 << 20;
/** The allowance (~360 MB), an interpreter's start and the measuring interval's overshoot. */
const bounded = 360 * MB + 400 * MB;
const replaced = (step: { error?: { message: string } | null }) =>
  expect(step.error?.message).toMatch(/grew its worker's memory .* its worker was replaced|memory limit/);

export const memoryPathAttacks: readonly Attack[] = [
  {
    name: "hunt for Pyodide's converters (to_js, create_proxy, ...): imports, module dicts, gc, typing overloads",
    category: "js-bridge",
    language: "python",
    thread: true,
    mayPass: true,
    code: () =>
      py(`import sys, gc, importlib
found = []
for m in ("pyodide.ffi", "_pyodide_core", "pyodide.http", "pyodide.webloop", "_pyodide.jsbind"):
    try:
        mod = importlib.import_module(m)
        # pyodide.http is sandflow's own (pyfetch through the host's checked fetch), not Pyodide's.
        if m != "pyodide.http" or getattr(getattr(mod, "pyfetch", None), "__module__", "") != "__main__":
            found.append("import " + m)
    except ImportError:
        pass
wanted = {"to_js", "create_proxy", "create_once_callable", "destroy_proxies", "raw_call", "py2js_deep", "trigger_fatal_error"}
for o in gc.get_objects():
    if callable(o) and getattr(o, "__name__", "") in wanted:
        found.append("gc " + o.__name__)
    if type(o) is dict and wanted & set(k for k in o if isinstance(k, str)) and "pyodide" in str(o.get("__name__", "")):
        found.append("dict " + str(o.get("__name__")))
for mod in list(sys.modules.values()):
    for n in wanted:
        if hasattr(mod, n):
            found.append(getattr(mod, "__name__", "?") + "." + n)
return found or "none"`),
    check: (step) => expect(step.output).toBe("none"),
  },
  {
    name: "JavaScript heap: 600,000 symlinks with 4,000-character targets outside the workspace",
    category: "memory",
    language: "python",
    thread: true,
    errors: ["MemoryLimitError"],
    maxRssGrowth: bounded,
    code: () =>
      py(`import os
os.makedirs('/home/x', exist_ok=True)
t = 'y' * 4000
for i in range(600000):
    os.symlink(t + str(i), f'/home/x/l{i}')
return 'done'`),
    check: replaced,
  },
  {
    name: "array buffers: sparse writes outside the workspace, one byte per 4 KiB page (2.4 GB)",
    category: "memory",
    language: "python",
    thread: true,
    errors: ["MemoryLimitError"],
    maxRssGrowth: bounded,
    code: () =>
      py(`f = open('/home/sparse', 'wb')
for i in range(600000):
    f.seek(i * 4096)
    f.write(b'x')
return 'done'`),
    check: replaced,
  },
  {
    name: "array buffers: sparse writes in /workspace (counted one byte each while written)",
    category: "memory",
    language: "python",
    errors: ["MemoryLimitError", "WorkspaceLimitError"],
    maxRssGrowth: bounded,
    code: () =>
      py(`f = open('/workspace/sparse', 'wb')
for i in range(600000):
    f.seek(i * 4096)
    f.write(b'x')
return 'done'`),
  },
  {
    name: "array buffers: os.truncate of files outside the workspace to 1 GiB each",
    category: "memory",
    language: "python",
    errors: ["MemoryLimitError", "StepRuntimeError"],
    maxRssGrowth: bounded,
    code: () =>
      py(`import os
for i in range(8):
    open(f'/home/t{i}', 'wb').close()
    os.truncate(f'/home/t{i}', 1 << 30)
    with open(f'/home/t{i}', 'r+b') as f:
        for p in range(0, 1 << 30, 1 << 16):
            f.seek(p)
            f.write(b'z')
return 'done'`),
  },
  {
    name: "wasm memory: bytearray of 1 GiB and a list of 1 MiB bytes objects",
    category: "memory",
    language: "python",
    errors: ["MemoryLimitError"],
    maxRssGrowth: bounded,
    code: () =>
      py(`keep = []
try:
    keep.append(bytearray(1 << 30))
except MemoryError:
    pass
while True:
    keep.append(b'w' * (1 << 20))`),
  },
  {
    name: "JavaScript heap: shell symlinks with 4,000-character targets in /tmp",
    category: "memory",
    language: "shell",
    thread: true,
    errors: ["MemoryLimitError", "StepTimeoutError"],
    step: { timeout: 15 },
    maxRssGrowth: bounded,
    code: () =>
      `t=$(head -c 4000 /dev/zero | tr '\\0' y); i=0; while [ $i -lt 600000 ]; do ln -s "$t$i" /tmp/l$i; i=$((i + 1)); done; echo '"done"'`,
  },
  {
    name: "JavaScript heap: shell directories with 240-character names in /tmp",
    category: "memory",
    language: "shell",
    errors: ["MemoryLimitError", "StepTimeoutError", "WorkspaceLimitError"],
    step: { timeout: 15 },
    maxRssGrowth: bounded,
    code: () =>
      `n=$(head -c 240 /dev/zero | tr '\\0' d); i=0; while [ $i -lt 3000000 ]; do mkdir /tmp/$n$i; i=$((i + 1)); done; echo '"done"'`,
  },
  {
    name: "wasm memory: Lua tables past the memory limit",
    category: "memory",
    language: "lua",
    errors: ["MemoryLimitError"],
    maxRssGrowth: bounded,
    code: () =>
      "function run() local t = {} for i = 1, 1e9 do t[i] = string.rep('x', 1024) .. i end return #t end",
  },
];
