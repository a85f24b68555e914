/**
 * Python steps against the engine itself: its JavaScript objects (Object.prototype, the
 * Error stack hooks), its
 * result protocol (a patched json.dumps), unbounded error messages; and trying to exhaust
 * it: CPU (busy loops, loops that swallow the interrupt, long C calls), memory, output,
 * result size, recursion and the workspace.
 * Limits of the security engine: see {@link SECURITY_LIMITS}.
 */
import { expect } from "vitest";
import type { Attack } from "./attack-runner.js";
import { SECURITY_LIMITS } from "./attack-runner.js";

const py = (body: string) => `def run():\n${body.replace(/^/gm, "    ")}\n`;
const MB = 1 << 20;
/** A step stopped at its timeout of 1 s must end within timeout + 0.5 s. */
const stopped = { step: { timeout: 1 }, errors: ["StepTimeoutError"], maxMs: 1500 } as const;

export const pythonLimitAttacks: readonly Attack[] = [
  {
    name: "Error.prepareStackTrace call sites for a sloppy function or receiver",
    category: "js-bridge",
    language: "python",
    mayPass: true,
    code: () =>
      py(`from pyodide.ffi import to_js, create_proxy, JsException
O = to_js({}).constructor
try:
    to_js([]).constructor(-1)
except JsException as e:
    Err = O.getPrototypeOf(e.js_error.constructor)
found = []
def pst(err, sites):
    for s in sites:
        if "wasm" in str(s.getFileName()):
            continue
        if s.getFunction() is not None or s.getThis() is not None:
            found.append(str(s.getFunctionName()))
    return "x"
Err.stackTraceLimit = 200
Err.prepareStackTrace = create_proxy(pst)
try:
    to_js([]).constructor(-1)
except JsException as e:
    e.js_error.stack
finally:
    Err.prepareStackTrace = None
    Err.stackTraceLimit = 10
return ("ESCAPED " + str(found)) if found else "only strict frames"`),
  },
  {
    name: "pyfetch through run_sync, a coroutine that fails after the step",
    category: "network",
    language: "python",
    mayPass: true,
    code: (c) =>
      py(`try:
    __import__("pyodide.ffi").ffi.run_sync(__import__("pyodide.http").http.pyfetch(${JSON.stringify(c.httpUrl)}))
    return "ESCAPED fetched"
except BaseException as e:
    return repr(e)[:200]`),
  },
  {
    name: "write to Object.prototype of the worker",
    category: "prototype-pollution",
    language: "python",
    thread: true,
    mayPass: true,
    code: () =>
      py(`from pyodide.ffi import to_js
O = to_js({}).constructor
P = O.getPrototypeOf(to_js({}))
P.sfPolluted = "yes"
seen = getattr(to_js({}), "sfPolluted", None)
del P.sfPolluted
return ("ESCAPED Object.prototype.sfPolluted=" + str(seen)) if seen else "not writable"`),
  },
  {
    name: "json.dumps patched to return text that is not JSON",
    category: "engine-objects",
    language: "python",
    errors: ["InvalidResultError", "StepRuntimeError"],
    code: () => `import json\njson.dumps = lambda *a, **k: "{not json"\n${py("return 1")}`,
  },
  {
    name: "json.dumps patched to return JSON nested 120,000 deep (within the result limit)",
    category: "engine-objects",
    language: "python",
    errors: ["InvalidResultError", "StepRuntimeError"],
    code: () => `import json\njson.dumps = lambda *a, **k: "[" * 120000 + "]" * 120000\n${py("return 1")}`,
  },
  {
    name: "an error message of 20 MB",
    category: "engine-objects",
    language: "python",
    code: () => py(`raise Exception("x" * (20 << 20))`),
    check: (step) => expect(step.error?.message.length ?? 0).toBeLessThanOrEqual(1 << 20),
  },
  {
    name: "busy loop",
    category: "timeout",
    language: "python",
    thread: true,
    ...stopped,
    code: () => py("while True:\n    pass"),
  },
  {
    name: "a loop that swallows KeyboardInterrupt",
    category: "timeout",
    language: "python",
    ...stopped,
    code: () =>
      py(
        "while True:\n    try:\n        while True:\n            pass\n    except BaseException:\n        pass",
      ),
  },
  {
    name: "time.sleep(1000)",
    category: "timeout",
    language: "python",
    ...stopped,
    code: () => py("import time\ntime.sleep(1000)"),
  },
  {
    name: "catastrophic regex backtracking in C",
    category: "timeout",
    language: "python",
    ...stopped,
    code: () => py("import re\nreturn bool(re.match(r'(a*)*b', 'a' * 40))"),
  },
  {
    name: "a huge integer power in C",
    category: "timeout",
    language: "python",
    ...stopped,
    code: () => py("return len(str(10 ** (10 ** 8)))"),
  },
  {
    name: "bytearray(1 GiB) with a 128 MB limit",
    category: "memory",
    language: "python",
    thread: true,
    step: { memory: 128 },
    errors: ["MemoryLimitError"],
    maxMs: 10_000,
    maxRssGrowth: 128 * MB + 300 * MB,
    code: () => py("b = bytearray(1 << 30)\nreturn len(b)"),
  },
  {
    name: "a list that grows until memory runs out",
    category: "memory",
    language: "python",
    step: { memory: 128 },
    errors: ["MemoryLimitError"],
    maxMs: 10_000,
    maxRssGrowth: 128 * MB + 300 * MB,
    code: () => py("l = []\nwhile True:\n    l.append('x' * 100000)"),
  },
  {
    name: "256 MB of files in /tmp with a 64 MB memory limit",
    category: "memory",
    language: "python",
    step: { memory: 64 },
    errors: ["MemoryLimitError", "WorkspaceLimitError"],
    maxRssGrowth: 64 * MB + 300 * MB,
    code: () =>
      py(
        "with open('/tmp/big', 'wb') as f:\n    for i in range(8):\n        f.write(b'x' * (32 << 20))\nreturn 1",
      ),
  },
  {
    name: "print flood",
    category: "output",
    language: "python",
    thread: true,
    errors: ["OutputLimitError"],
    maxMs: 10_000,
    code: () => py("while True:\n    print('x' * 1000)"),
    check: (step) => expect(step.stdout.length).toBeLessThanOrEqual(SECURITY_LIMITS.outputLimit + 1024),
  },
  {
    name: "stderr flood",
    category: "output",
    language: "python",
    errors: ["OutputLimitError"],
    maxMs: 10_000,
    code: () => py("import sys\nwhile True:\n    sys.stderr.write('y' * 1000)"),
    check: (step) => expect(step.stderr.length).toBeLessThanOrEqual(SECURITY_LIMITS.outputLimit + 1024),
  },
  {
    name: "os.write flood on fd 1 and 2",
    category: "output",
    language: "python",
    errors: ["OutputLimitError"],
    maxMs: 10_000,
    code: () => py("import os\nwhile True:\n    os.write(1, b'z' * 1000)\n    os.write(2, b'z' * 1000)"),
  },
  {
    name: "a result larger than the result limit",
    category: "result",
    language: "python",
    errors: ["ResultLimitError"],
    code: () => py(`return "x" * ${SECURITY_LIMITS.resultLimit + 1}`),
  },
  {
    name: "a result nested 100,000 deep",
    category: "result",
    language: "python",
    errors: ["InvalidResultError", "StepRuntimeError"],
    code: () => py("x = []\nfor i in range(100000):\n    x = [x]\nreturn x"),
  },
  {
    name: "a result nested 10,000 deep with the recursion limit raised",
    category: "result",
    language: "python",
    errors: ["InvalidResultError", "StepRuntimeError"],
    code: () =>
      `import sys\nsys.setrecursionlimit(100000)\n${py("x = []\nfor i in range(10000):\n    x = [x]\nreturn x")}`,
  },
  {
    name: "unbounded recursion",
    category: "recursion",
    language: "python",
    code: () => `def f(n):\n    return f(n + 1) + 1\n${py("return f(0)")}`,
  },
  {
    name: "recursion with the recursion limit raised to 10 million",
    category: "recursion",
    language: "python",
    code: () =>
      `import sys\nsys.setrecursionlimit(10 ** 7)\ndef f(n):\n    return f(n + 1) + 1\n${py("return f(0)")}`,
  },
  {
    name: "8 MB in /workspace with a 4 MiB workspace limit",
    category: "workspace",
    language: "python",
    errors: ["WorkspaceLimitError"],
    code: () => py("open('/workspace/big', 'wb').write(b'x' * (8 << 20))\nreturn 1"),
  },
  {
    name: "20,000 empty files with 240-character names",
    category: "workspace",
    language: "python",
    errors: ["WorkspaceLimitError"],
    code: () =>
      py("for i in range(20000):\n    open('/workspace/' + 'n' * 240 + str(i), 'w').close()\nreturn 1"),
  },
  {
    name: "a symlink loop in /workspace",
    mayPass: true,
    category: "workspace",
    language: "python",
    code: () => py("import os\nos.symlink('/workspace', '/workspace/loop')\nreturn 1"),
  },
  {
    name: "a symlink to the interpreter's /lib",
    category: "workspace",
    language: "python",
    mayPass: true,
    errors: ["WorkspaceLimitError", "StepRuntimeError"],
    code: () => py("import os\nos.symlink('/lib', '/workspace/lib')\nreturn 1"),
  },
];
