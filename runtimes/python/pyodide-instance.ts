/**
 * Loads one Pyodide interpreter for untrusted steps: from the memory snapshot when there
 * is one, with the wasm memory capped at the step's limit, `system()` answered with
 * ENOSYS instead of spawning a host shell, and the JS bridges (`js`, `pyodide_js`, NODEFS)
 * removed before any step runs.
 */

import type { PyodideAPI } from "pyodide";
import { PYTHON_PRELUDE } from "../../src/protocol/python-prelude.js";
import { type InstantiateOverride, withInstantiateOverride, withMemoryMax } from "./wasm-memory-limit.js";

/** How a platform loads Pyodide. */
export interface PyodideSource {
  /** `loadPyodide` from the pyodide package. */
  readonly loadPyodide: (options: Record<string, unknown>) => Promise<PyodideAPI>;
  /** Where pyodide.asm.wasm, python_stdlib.zip and the lock file are. Default: the package's own folder. */
  readonly indexURL?: string;
  /** The memory snapshot made by {@link makePyodideSnapshot}, if one is cached. */
  readonly snapshot?: () => Promise<Uint8Array | undefined>;
  /**
   * Told when the snapshot did not load (a damaged cache entry): the interpreter was then
   * loaded without it. Should make `snapshot` return undefined from then on.
   */
  readonly snapshotFailed?: (message: string) => void;
}

const ENOSYS = -52;

/** Compiled interpreter modules by memory limit, shared by every load in this worker. */
const modules = new Map<number, Promise<WebAssembly.Module>>();

function override(maxBytes: number): InstantiateOverride {
  return {
    matches: (imports) =>
      typeof (imports?.env as Record<string, unknown> | undefined)?._emscripten_system === "function",
    module: (bytes) => {
      let module = modules.get(maxBytes);
      if (!module) {
        module = bytes().then((b) => WebAssembly.compile(withMemoryMax(b, maxBytes) as BufferSource));
        module.catch(() => modules.delete(maxBytes));
        modules.set(maxBytes, module);
      }
      return module;
    },
    imports: (imports) => ({
      ...imports,
      env: {
        ...(imports.env as Record<string, WebAssembly.ImportValue>),
        _emscripten_system: (cmd: number) => (cmd ? ENOSYS : 0),
      },
    }),
  };
}

/** Options of {@link loadPyodideInstance}. */
export interface PyodideLoadOptions {
  readonly memoryBytes: number;
  readonly stdout: (bytes: Uint8Array) => void;
  readonly stderr: (bytes: Uint8Array) => void;
}

/** Loads and hardens one interpreter. */
export async function loadPyodideInstance(
  source: PyodideSource,
  options: PyodideLoadOptions,
): Promise<PyodideAPI> {
  const snapshot = await source.snapshot?.();
  const load = (from: Uint8Array | undefined) =>
    withInstantiateOverride(override(options.memoryBytes), () =>
      source.loadPyodide({
        ...(source.indexURL ? { indexURL: source.indexURL } : {}),
        ...(from ? { _loadSnapshot: from } : {}),
        jsglobals: Object.freeze({}),
        env: { HOME: "/workspace", LANG: "C.UTF-8" },
        stdout: () => {},
        stderr: () => {},
      }),
    );
  let py: PyodideAPI;
  let cold = snapshot === undefined;
  try {
    py = await load(snapshot);
  } catch (e) {
    if (cold) throw e;
    // A damaged snapshot must not take Python down: load without it (slower) instead.
    source.snapshotFailed?.(e instanceof Error ? e.message : String(e));
    py = await load(undefined);
    cold = true;
  }
  if (cold) py.runPython(PYTHON_PRELUDE);
  harden(py);
  const sink = (write: (bytes: Uint8Array) => void) => ({
    write: (buf: Uint8Array) => {
      write(buf);
      return buf.length;
    },
  });
  py.setStdout(sink(options.stdout));
  py.setStderr(sink(options.stderr));
  const FS = py.FS as { mkdirTree(p: string): void; chdir(p: string): void };
  FS.mkdirTree("/workspace");
  FS.mkdirTree("/tmp");
  FS.chdir("/workspace");
  return py;
}

/**
 * Removes from the Python side what copies Python data into JavaScript objects (outside
 * the step's capped wasm memory) or calls into JavaScript: pyodide.ffi's converters and
 * proxies, their `_pyodide_core` originals and every module that holds a reference to
 * them, and the modules themselves (importing them again fails). Steps exchange JSON text
 * with the host and need none of it; the host calls the interpreter through its C API,
 * which this leaves alone. A narrowing of the boundary, not the boundary itself: the host's
 * memory watchdog bounds whatever still gets through.
 */
const REMOVE_CONVERTERS = `
import sys
def _sf_strip():
    names = {
        "to_js", "create_proxy", "create_once_callable", "destroy_proxies", "raw_call",
        "run_sync", "can_run_sync", "create_promise_converter", "trigger_fatal_error",
        "register_js_module", "unregister_js_module", "Py2JsConverter", "Js2PyConverter",
        "ToJsConverter", "JsFuncSignature", "jsproxy_typedict", "js_flags",
        "py2js_as_js_json", "py2js_deep", "py2js_default",
        "js2py_as_py_json", "js2py_deep", "js2py_default", "js2py_default_call_result", "js2py_promise",
    }
    import gc, typing
    typing.clear_overloads()
    # Module dicts, and the copy Python keeps of a C module's dict to re-import it.
    for d in gc.get_objects():
        if type(d) is dict and "pyodide" in str(d.get("__name__", "")):
            for n in names & set(d):
                del d[n]
    # time.sleep was wrapped to sleep through JavaScript when it can: back to the plain one.
    webloop = sys.modules.get("pyodide.webloop")
    if webloop is not None and hasattr(webloop, "_orig_sleep"):
        import time
        time.sleep = webloop._orig_sleep
    for n in ("pyodide.ffi", "pyodide.ffi.wrappers", "pyodide.http", "pyodide.webloop", "pyodide._package_loader", "_pyodide_core", "_pyodide.jsbind"):
        sys.modules[n] = None
    import pyodide
    for n in ("ffi", "http", "webloop", "_package_loader"):
        pyodide.__dict__.pop(n, None)
_sf_strip()
del _sf_strip
`;

function harden(py: PyodideAPI): void {
  for (const name of ["js", "pyodide_js"]) {
    try {
      py.unregisterJsModule(name);
    } catch {
      // Already gone.
    }
  }
  // The snapshot holds the state random was seeded with when it was made: without a fresh
  // seed every run's interpreter would draw the same "random" numbers.
  py.runPython(`
import sys, random
random.seed()
for _n in list(sys.modules):
    if _n.split(".")[0] in ("js", "pyodide_js"):
        del sys.modules[_n]
del _n
`);
  py.runPython(REMOVE_CONVERTERS);
  // After the removal: pyodide.http is sandflow's own (pyfetch through the host).
  py.runPython("__sf_install_net()");
  const api = py as unknown as Record<string, unknown>;
  const fs = py.FS as unknown as { filesystems?: Record<string, unknown> };
  if (fs.filesystems) {
    delete fs.filesystems.NODEFS;
    delete fs.filesystems.PROXYFS;
  }
  for (const key of [
    "mountNodeFS",
    "mountNativeFS",
    "registerJsModule",
    "loadPackage",
    "loadPackagesFromImports",
  ]) {
    try {
      api[key] = undefined;
    } catch {
      // Frozen in some builds; the module bridges are gone anyway.
    }
  }
}

/**
 * The wasm memory image inside a snapshot made by {@link makePyodideSnapshot}: Pyodide's
 * header (magic, offset of the memory, ...) in four-byte words, then the memory.
 */
export function snapshotMemory(snapshot: Uint8Array): Uint8Array | undefined {
  if (snapshot.byteOffset % 4 !== 0 || snapshot.length < 16) return undefined;
  const offset = new Uint32Array(snapshot.buffer, snapshot.byteOffset, 4)[1] as number;
  return offset > 0 && offset < snapshot.length ? snapshot.subarray(offset) : undefined;
}

/** Makes the memory snapshot workers start from: Pyodide with the prelude run. */
export async function makePyodideSnapshot(source: Omit<PyodideSource, "snapshot">): Promise<Uint8Array> {
  const py = await source.loadPyodide({
    ...(source.indexURL ? { indexURL: source.indexURL } : {}),
    _makeSnapshot: true,
    jsglobals: Object.freeze({}),
    env: { HOME: "/workspace", LANG: "C.UTF-8" },
    stdout: () => {},
    stderr: () => {},
  });
  py.runPython(PYTHON_PRELUDE);
  return (py as unknown as { makeMemorySnapshot(): Uint8Array }).makeMemorySnapshot();
}
