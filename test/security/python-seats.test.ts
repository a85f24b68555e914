/**
 * Concurrent runs on one loaded Python interpreter (runtimes/python/interpreter-seats.ts):
 * a second run's seat costs no load, each run keeps its own state from step to step while
 * the runs alternate, no run sees another's, and a run's state that cannot be parked is
 * dropped rather than shown to the next run.
 */
import { loadPyodide } from "pyodide";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makePyodideSnapshot } from "../../runtimes/python/pyodide-instance.js";
import { createPythonRuntimeFactory } from "../../runtimes/python/python-runtime.js";
import type { LanguageRuntime, LanguageRuntimeFactory } from "../../runtimes/worker/language-runtime.js";
import { value } from "./python-steps.js";

const MB = 1048576;

/** Reports the mark it found (builtins, a module global, random's next draw) and leaves its own. */
const mark = (name: string) => `import builtins, random
def run():
    seen = getattr(builtins, "sf_owner", None)
    builtins.sf_owner = "${name}"
    global sf_count
    sf_count = globals().get("sf_count", 0) + 1
    return [seen, sf_count]`;

describe("runs seated on one loaded Python interpreter", () => {
  let factory: LanguageRuntimeFactory;
  let loads = 0;
  const made: LanguageRuntime[] = [];
  beforeAll(async () => {
    const snapshot = await makePyodideSnapshot({ loadPyodide });
    factory = createPythonRuntimeFactory({
      loadPyodide: (options) => {
        loads++;
        return loadPyodide(options);
      },
      snapshot: async () => snapshot,
    });
  }, 120_000);
  afterAll(() => {
    for (const runtime of made) runtime.dispose();
  });
  const create = async () => {
    const runtime = await factory.create({ memoryBytes: 256 * MB });
    made.push(runtime);
    return runtime;
  };

  it("loads once for three runs, and each run keeps its own state while they alternate", async () => {
    const [a, b, c] = [await create(), await create(), await create()] as [
      LanguageRuntime,
      LanguageRuntime,
      LanguageRuntime,
    ];
    expect(loads).toBe(1);
    expect(await value(a, "run-a", mark("A"))).toEqual([null, 1]);
    expect(await value(b, "run-b", mark("B"))).toEqual([null, 1]);
    expect(await value(a, "run-a", mark("A"))).toEqual(["A", 2]);
    expect(await value(c, "run-c", mark("C"))).toEqual([null, 1]);
    expect(await value(b, "run-b", mark("B"))).toEqual(["B", 2]);
    expect(await value(a, "run-a", mark("A"))).toEqual(["A", 3]);
    // Two runs started from the same image draw different random numbers.
    const draw = "import random\ndef run():\n    return random.random()";
    expect(b.reset?.()).toBe(true);
    expect(c.reset?.()).toBe(true);
    const [x, y] = [await value(b, "run-d", draw), await value(c, "run-e", draw)];
    expect(x).not.toBe(y);
    // An ended run's seat is clean for the next one. b and c were switched out during
    // their runs: their next runs got loads of their own.
    expect(await value(b, "run-d", mark("D"))).toEqual([null, 1]);
    expect(loads).toBe(3);
    expect(await value(a, "run-a", mark("A"))).toEqual(["A", 4]);
    for (const runtime of [a, b, c]) runtime.dispose();
  }, 120_000);

  it("gives the next run of a seat that was switched out a load of its own", async () => {
    const a = await create();
    const b = await create();
    const base = loads;
    let count = 0;
    // Run a keeps going; b serves one new run after another: the first switches the
    // interpreter (a is parked), the next gets a load.
    for (let i = 0; i < 2 && loads === base; i++) {
      expect(await value(a, "run-a1", mark("A"))).toEqual([i === 0 ? null : "A", ++count]);
      expect(b.reset?.()).toBe(true);
      expect(await value(b, `run-b${i}`, mark("B"))).toEqual([null, 1]);
    }
    expect(loads).toBe(base + 1);
    // Now apart: both keep their states, with no more loads.
    expect(await value(a, "run-a1", mark("A"))).toEqual(["A", ++count]);
    expect(b.reset?.()).toBe(true);
    expect(await value(b, "run-b-last", mark("B"))).toEqual([null, 1]);
    expect(await value(b, "run-b-last", mark("B"))).toEqual(["B", 2]);
    expect(loads).toBe(base + 1);
    a.dispose();
    b.dispose();
  }, 120_000);

  it("drops the state of a run it cannot park instead of handing it on", async () => {
    const a = await create();
    const b = await create();
    const left = loads;
    expect(left).toBe(6); // the interpreters before went with their last seats
    // A descriptor left open across steps cannot be parked: the run's state is dropped.
    const keepsFile = `import builtins
kept = open("/tmp/kept", "w")
def run():
    seen = getattr(builtins, "sf_owner", None)
    builtins.sf_owner = "A"
    return seen`;
    expect(await value(a, "run-a2", keepsFile)).toBe(null);
    expect(await value(b, "run-b2", mark("B"))).toEqual([null, 1]);
    expect(await value(a, "run-a2", mark("A"))).toEqual([null, 1]);
    // Writing outside the workspace: the interpreter cannot be made clean, so the next run
    // switching in gets a new load.
    const outside = `def run():\n    open("/lib/sf_mark.py", "w").write("x = 1")\n    return 1`;
    expect(await value(a, "run-a2", outside)).toBe(1);
    expect(
      await value(b, "run-b2", "import os\ndef run():\n    return os.path.exists('/lib/sf_mark.py')"),
    ).toBe(false);
    expect(loads).toBe(left + 1);
  }, 120_000);
});
