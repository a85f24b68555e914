/**
 * Python steps trying to leave the sandbox: host files, host environment, processes,
 * network and the JavaScript bridge of Pyodide. An attack that gets through returns a
 * string with ESCAPED in it (or leaks a canary, or leaves a file, or reaches a server),
 * which the runner catches.
 */
import { expect } from "vitest";
import { PACKAGE_ROOT } from "../../src/node/package-paths.js";
import type { Attack } from "./attack-runner.js";

const py = (body: string) => `def run():\n${body.replace(/^/gm, "    ")}\n`;
const lit = (s: string) => JSON.stringify(s);

/** Tries each snippet; returns ESCAPED if one worked, raises the last error otherwise. */
const tryAll = (snippets: string[]) =>
  py(
    [
      "errors = []",
      ...snippets.flatMap((s) => [
        "try:",
        `    ${s}`,
        "    return 'ESCAPED'",
        "except BaseException as e:",
        "    errors.append(repr(e)[:200])",
      ]),
      "raise RuntimeError('; '.join(errors))",
    ].join("\n"),
  );

export const pythonEscapeAttacks: readonly Attack[] = [
  {
    name: "read the canary file",
    category: "host-files",
    language: "python",
    thread: true,
    code: (c) => py(`return open(${lit(c.canaryFile)}).read()`),
  },
  {
    name: "walk the whole file system looking for host folders",
    category: "host-files",
    language: "python",
    mayPass: true,
    code: (c) =>
      py(`import os
seen = [d for d, _, _ in os.walk("/") if not d.startswith(("/lib", "/proc", "/dev"))]
host = [p for p in (${lit(c.canaryDir)}, "/etc/passwd", "/usr/bin", "/work", "/root") if os.path.exists(p)]
return ("ESCAPED " + str(host)) if host else seen[:50]`),
  },
  {
    name: "write a file at a host path",
    category: "host-files",
    language: "python",
    thread: true,
    mayPass: true,
    code: (c) =>
      py(`import os
os.makedirs(os.path.dirname(${lit(c.writeTarget)}), exist_ok=True)
with open(${lit(c.writeTarget)}, "w") as f:
    f.write("pwned")
return "wrote inside the interpreter only"`),
  },
  {
    name: "read /proc, /etc and /dev files",
    category: "host-files",
    language: "python",
    mayPass: true,
    code: () =>
      py(`out = {}
for p in ["/proc/self/environ", "/proc/self/cmdline", "/proc/self/maps", "/etc/passwd", "/etc/shadow", "/dev/mem"]:
    try:
        out[p] = "ESCAPED " + open(p, "rb").read(200).decode("latin-1")
    except OSError as e:
        out[p] = type(e).__name__
return out`),
  },
  {
    name: "mount the host with NODEFS found by a gc walk",
    category: "host-files",
    language: "python",
    code: (c) =>
      py(`import gc
from pyodide.ffi import to_js
for o in gc.get_objects():
    if not isinstance(o, dict):
        continue
    for v in list(o.values()):
        if "JsProxy" not in type(v).__name__ or isinstance(v, type):
            continue
        for name in ("mountNodeFS", "FS"):
            try:
                target = getattr(v, name, None)
            except Exception:
                target = None
            if target is None:
                continue
            try:
                if name == "mountNodeFS":
                    target("/host", ${lit(c.canaryDir)})
                else:
                    target.mkdirTree("/host2")
                    target.mount(target.filesystems.NODEFS, to_js({"root": ${lit(c.canaryDir)}}), "/host2")
                return "ESCAPED " + open("/host/canary.txt").read()
            except Exception:
                pass
raise RuntimeError("no way to NODEFS")`),
  },
  {
    name: "dump os.environ",
    category: "host-env",
    language: "python",
    thread: true,
    mayPass: true,
    code: () => py("import os\nreturn dict(os.environ)"),
  },
  {
    name: "host paths in the environment",
    category: "host-env",
    language: "python",
    mayPass: true,
    code: () => py("import os\nreturn sorted(os.environ.values())"),
    check: (step) => expect(JSON.stringify(step.output)).not.toContain(PACKAGE_ROOT),
  },
  {
    name: "getenv the canary variable",
    category: "host-env",
    language: "python",
    mayPass: true,
    code: (c) =>
      py(`import os\nv = os.getenv(${lit(c.envName)})\nreturn None if v is None else "ESCAPED " + v`),
  },
  {
    name: "os.system and posix.system",
    category: "processes",
    language: "python",
    thread: true,
    code: (c) =>
      tryAll([
        `__import__("os").system("touch ${c.writeTarget}")`,
        `__import__("posix").system("touch ${c.writeTarget}")`,
      ]),
  },
  {
    name: "subprocess, os.popen and os.posix_spawn",
    category: "processes",
    language: "python",
    code: (c) =>
      tryAll([
        `__import__("subprocess").run(["touch", ${lit(c.writeTarget)}], check=True)`,
        `__import__("os").popen("touch ${c.writeTarget}").read()`,
        `__import__("os").posix_spawn("/bin/sh", ["sh", "-c", "touch ${c.writeTarget}"], {})`,
      ]),
  },
  {
    name: "ctypes CDLL(None).system",
    category: "processes",
    language: "python",
    code: (c) =>
      tryAll([
        `__import__("ctypes").CDLL(None).system(b"touch ${c.writeTarget}")`,
        `__import__("_ctypes")`,
        `__import__("importlib").import_module("ctypes.util")`,
      ]),
  },
  {
    name: "os.fork, os.execv and os.spawnv",
    category: "processes",
    language: "python",
    code: () =>
      tryAll([
        `__import__("os").fork()`,
        `__import__("os").execv("/bin/sh", ["sh"])`,
        `__import__("os").spawnv(0, "/bin/sh", ["sh"])`,
        `__import__("pty").spawn("/bin/sh")`,
      ]),
  },
  {
    name: "os._exit and process.exit",
    category: "processes",
    language: "python",
    thread: true,
    code: () => py(`import os\nos._exit(3)`),
  },
  {
    name: "raise SIGKILL against itself",
    category: "processes",
    language: "python",
    code: () => py(`import signal\nsignal.raise_signal(signal.SIGKILL)\nreturn "survived"`),
    mayPass: true,
  },
  {
    name: "socket to the host's TCP server",
    category: "network",
    language: "python",
    thread: true,
    code: (c) =>
      py(`import socket
s = socket.create_connection(("127.0.0.1", ${c.tcpPort}), timeout=2)
return "ESCAPED " + s.recv(200).decode()`),
  },
  {
    name: "urllib and http.client to the host's HTTP server",
    category: "network",
    language: "python",
    code: (c) =>
      tryAll([
        `__import__("urllib.request").request.urlopen(${lit(c.httpUrl)}, timeout=2).read()`,
        `__import__("http.client").client.HTTPConnection("127.0.0.1", ${c.httpPort}, timeout=2).request("GET", "/")`,
      ]),
  },
  {
    name: "pyodide.http open_url and js.fetch",
    category: "network",
    language: "python",
    code: (c) =>
      tryAll([
        `__import__("pyodide.http").http.open_url(${lit(c.httpUrl)}).read()`,
        `__import__("js").fetch(${lit(c.httpUrl)})`,
      ]),
  },
  {
    name: "Function constructor from a proxy: to_js([]).constructor.constructor",
    category: "js-bridge",
    language: "python",
    thread: true,
    code: () =>
      tryAll([
        `__import__("pyodide.ffi").ffi.to_js([]).constructor.constructor("return process")()`,
        `__import__("pyodide.ffi").ffi.to_js({}).constructor.constructor("return import('node:child_process')")()`,
        `__import__("pyodide.ffi").ffi.to_js([]).constructor.constructor.call(None, "return globalThis")()`,
      ]),
  },
  {
    name: "Function constructor from every JsProxy a gc walk finds",
    category: "js-bridge",
    language: "python",
    mayPass: true,
    code: () =>
      py(`import gc
found = 0
for o in gc.get_objects():
    values = list(o.values()) if isinstance(o, dict) else [o]
    for v in values:
        if "JsProxy" not in type(v).__name__ or isinstance(v, type):
            continue
        found += 1
        try:
            F = v.constructor.constructor
            if F is not None:
                return "ESCAPED " + str(F("return typeof process")())
        except Exception:
            pass
return "no Function constructor among " + str(found) + " proxies"`),
  },
  {
    name: "run_js, import js, import pyodide_js",
    category: "js-bridge",
    language: "python",
    code: () =>
      tryAll([
        `__import__("pyodide.code").code.run_js("typeof process")`,
        `__import__("js").process`,
        `__import__("pyodide_js")._api`,
      ]),
  },
  {
    name: "meta_path JsFinder and _pyodide_core for JS modules",
    category: "js-bridge",
    language: "python",
    mayPass: true,
    code: () =>
      py(`import sys
for f in sys.meta_path:
    d = getattr(f, "jsproxies", None)
    if d:
        return "ESCAPED " + str(list(d.keys()))
return [type(f).__name__ for f in sys.meta_path]`),
  },
];
