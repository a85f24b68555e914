/**
 * A Python interpreter reset to its memory image at the end of a run (instead of loaded
 * again) must be as clean as a new one: nothing of the previous run's globals, modules,
 * patched functions, environment, files, open descriptors or random state. Where it
 * cannot be made clean (a step wrote outside the workspace), the reset is refused.
 */
import { loadPyodide } from "pyodide";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makePyodideSnapshot } from "../../runtimes/python/pyodide-instance.js";
import { createPythonRuntimeFactory } from "../../runtimes/python/python-runtime.js";
import type { LanguageRuntime } from "../../runtimes/worker/language-runtime.js";
import { value } from "./python-steps.js";

const MB = 1048576;

const PLANT = `import builtins, sys, os, json, random
builtins.sf_mark = "planted"
sys.modules["sf_mod"] = type(sys)("sf_mod")
json.loads = lambda *a, **k: {"forged": True}
os.environ["SF_MARK"] = "planted"
os.makedirs("/workspace/sub", exist_ok=True)
open("/workspace/sub/mark", "w").write("planted")
open("/tmp/mark", "w").write("planted")
kept = open("/tmp/kept", "w")
sf_global = "planted"
def run():
    a = random.random()
    return [a, random.random(), kept.fileno()]`;

const PROBE = `import builtins, sys, os, json, random
def run():
    found = [n for n, hit in [
        ("builtins", hasattr(builtins, "sf_mark")),
        ("sys.modules", "sf_mod" in sys.modules),
        ("json.loads", json.loads("{}") != {}),
        ("environ", "SF_MARK" in os.environ),
        ("workspace", os.listdir("/workspace") != []),
        ("tmp", os.listdir("/tmp") != []),
        ("main globals", any("sf_global" in vars(m) for m in list(sys.modules.values()) if m is not None and hasattr(m, "__dict__"))),
    ] if hit]
    fd = open("/workspace/probe", "w")
    n = fd.fileno()
    fd.close()
    os.remove("/workspace/probe")
    return [found, random.random(), n, os.getcwd()]`;

/** Runs the image cannot undo: each one's reset is refused. */
const WRITES_OUTSIDE = `def run():\n    open("/lib/sf_mark.py", "w").write("x = 1")\n    return 1`;
const REPLACES_WORKSPACE = `import os
def run():
    os.chdir("/")
    os.rmdir("/workspace")
    os.symlink("/lib", "/workspace")
    return 1`;

describe.each([
  ["loaded from the snapshot", true, WRITES_OUTSIDE],
  ["loaded cold", false, REPLACES_WORKSPACE],
] as const)("a Python interpreter %s, reset to its memory image", (_name, fromSnapshot, refused) => {
  let runtime: LanguageRuntime;
  beforeAll(async () => {
    const snapshot = fromSnapshot ? await makePyodideSnapshot({ loadPyodide }) : undefined;
    const source = { loadPyodide, ...(snapshot ? { snapshot: async () => snapshot } : {}) };
    runtime = await createPythonRuntimeFactory(source).create({ memoryBytes: 256 * MB });
  }, 120_000);
  afterAll(() => runtime?.dispose());

  it("keeps nothing of the previous run, draws new random numbers, and refuses when files outside changed", async () => {
    expect(runtime.reset).toBeTypeOf("function");
    const fresh = (await value(runtime, "probe-0", PROBE)) as [string[], number, number, string];
    expect(fresh[0]).toEqual([]);
    expect(runtime.reset?.()).toBe(true);

    const [a1, a2, keptFd] = (await value(runtime, "run-a", PLANT)) as [number, number, number];
    expect(runtime.reset?.()).toBe(true);
    const b = (await value(runtime, "run-b", PROBE)) as [string[], number, number, string];
    expect(b[0]).toEqual([]);
    // The descriptor run A left open was closed: the next open gets the lowest one again.
    expect(b[2]).toBe(fresh[2]);
    expect(b[2]).toBeLessThanOrEqual(keptFd);
    expect(b[3]).toBe("/workspace");
    // Neither the image's random state replayed nor run A's continued.
    expect([a1, a2, fresh[1]]).not.toContain(b[1]);

    expect(runtime.reset?.()).toBe(true);
    const c = (await value(runtime, "run-c", PROBE)) as [string[], number, number, string];
    expect(c[0]).toEqual([]);
    expect([a1, a2, fresh[1], b[1]]).not.toContain(c[1]);

    // A run that wrote outside the workspace, or replaced it, cannot be undone: refused.
    await value(runtime, "run-d", refused);
    expect(runtime.reset?.()).toBe(false);
  }, 120_000);
});
