/**
 * Python source run once when the Pyodide snapshot is made: it imports the common
 * standard library, defines the `sandflow` module and the two entry points the host
 * calls (`__sf_compile`, `__sf_call`), and removes what lets Python reach the host
 * (`os.system`, `posix.system`, ctypes). It lives in the snapshot, so its hash is part
 * of the snapshot's cache key.
 */
import { PYTHON_NET } from "./python-net.js";

export const PYTHON_PRELUDE = String.raw`
import sys, os, posix, json as _json, types as _types, inspect as _inspect, linecache as _linecache
import traceback as _traceback
import re, math, datetime, time, random, collections, itertools, functools, hashlib, base64, string, textwrap
import decimal, fractions, statistics, csv, io, copy, dataclasses, enum, typing, uuid, operator, heapq, bisect
import contextlib, pathlib, shutil, glob, tempfile, struct, zlib, gzip, difflib, pprint, html, urllib.parse

for _name in ("system", "popen", "fork", "forkpty", "execv", "execve", "execvp", "spawnv", "spawnve", "kill", "killpg"):
    for _mod in (os, posix):
        if hasattr(_mod, _name):
            delattr(_mod, _name)
sys.modules["_ctypes"] = None
sys.modules["ctypes"] = None

_sf = _types.ModuleType("sandflow", "What a sandflow step can know about itself: attempt, step_id, run_id.")
_sf.attempt = 0
_sf.step_id = ""
_sf.run_id = ""
_sf.params = {}
_sf.item = None
_sf.index = None
sys.modules["sandflow"] = _sf

def _sf_takes_inputs(fn):
    try:
        params = list(_inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        return True
    for p in params:
        if p.kind in (p.VAR_POSITIONAL,):
            return True
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
            return True
    return False

def _sf_format(e, filename):
    lines = "".join(_traceback.format_exception_only(type(e), e)).rstrip().split("\n")
    text = "\n".join([lines[-1]] + lines[:-1])
    frames = [f for f in _traceback.extract_tb(e.__traceback__) if f.filename == filename]
    if not frames:
        return text
    return text + "\nTraceback (most recent call last):\n" + "".join(_traceback.format_list(frames)).rstrip()

def __sf_compile(key, code, filename):
    _linecache.cache[filename] = (len(code), None, code.splitlines(True), filename)
    # sandflow is a global, as in Lua and JavaScript steps (import sandflow works too).
    ns = {"__name__": "__main__", "__builtins__": __builtins__, "sandflow": _sf}
    try:
        exec(compile(code, filename, "exec"), ns)
    except KeyboardInterrupt:
        return "3"
    except MemoryError:
        return "4"
    except BaseException as e:
        return "0" + _sf_format(e, filename)
    fn = ns.get("run")
    if not callable(fn):
        return "0a Python step must define run() or run(inputs)"
    __sf_steps[key] = (fn, _sf_takes_inputs(fn), filename)
    return "1"

__sf_steps = {}

def _sf_where(value, path="result", depth=0):
    if depth > 256:
        return "the result is nested deeper than 256 levels"
    if value is None or isinstance(value, (str, bool, int)):
        return None
    if isinstance(value, float):
        return None if math.isfinite(value) else path + " is " + repr(value) + " (JSON has no NaN or infinity)"
    if isinstance(value, dict):
        for k, v in value.items():
            if not isinstance(k, (str, int, float, bool)) and k is not None:
                return path + " has a key of type " + type(k).__name__
            w = _sf_where(v, path + "[" + repr(k) + "]", depth + 1)
            if w:
                return w
        return None
    if isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            w = _sf_where(v, path + "[" + str(i) + "]", depth + 1)
            if w:
                return w
        return None
    return path + " is a " + type(value).__name__ + ", which is not JSON"

# Emscripten's default environment names the host script in "_": not for steps to see.
os.environ.pop("_", None)
_sf_base_env = dict(os.environ)

def __sf_set_env(env_json):
    os.environ.clear()
    os.environ.update(_sf_base_env)
    os.environ.update(_json.loads(env_json))

_sf_suspended = object()

def _sf_complete(coro):
    "Runs a coroutine that never suspends (one that awaits only pyfetch) to its value."
    try:
        coro.send(None)
    except StopIteration as e:
        return e.value
    coro.close()
    return _sf_suspended

# json.dumps with options builds an encoder per call: build it once, and use it while
# json.dumps and json.JSONEncoder are the originals (a step that patched them gets what
# its patch does, as before).
_sf_dumps, _sf_encoder_cls = _json.dumps, _json.JSONEncoder
_sf_encoder = _json.JSONEncoder(allow_nan=False, separators=(",", ":"), ensure_ascii=False)

def _sf_encode(result):
    if _json.dumps is _sf_dumps and _json.JSONEncoder is _sf_encoder_cls:
        return _sf_encoder.encode(result)
    return _json.dumps(result, allow_nan=False, separators=(",", ":"), ensure_ascii=False)

def __sf_call(key, inputs_json, attempt, step_id, run_id, context_json):
    fn, takes_inputs, filename = __sf_steps[key]
    _sf.attempt, _sf.step_id, _sf.run_id = attempt, step_id, run_id
    _ctx = _json.loads(context_json) if context_json else {}
    _sf.params, _sf.item, _sf.index = _ctx.get("params", {}), _ctx.get("item"), _ctx.get("index")
    try:
        try:
            result = fn(_json.loads(inputs_json)) if takes_inputs else fn()
            if _inspect.iscoroutine(result):
                result = _sf_complete(result)
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
    except KeyboardInterrupt:
        return "3"
    except MemoryError:
        return "4"
    except RecursionError as e:
        return "0" + _sf_format(e, filename)
    except BaseException as e:
        return "0" + _sf_format(e, filename)
    if result is _sf_suspended:
        return "0TypeError: run() is a coroutine (async def) that waited for something; sandflow calls run() synchronously, so an async run may await only what completes at once (pyfetch), else define it with def"
    try:
        return "1" + _sf_encode(result)
    except (TypeError, ValueError, RecursionError) as e:
        return "2" + (_sf_where(result) or str(e))
    except MemoryError:
        return "4"

def __sf_forget(key):
    __sf_steps.pop(key, None)
${PYTHON_NET}`;
