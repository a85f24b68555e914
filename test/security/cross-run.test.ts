/**
 * Isolation between runs: what a step of one run leaves in its interpreter or worker
 * (globals, patched builtins, sys.modules entries, Lua globals and shared tables, files,
 * the worker's JavaScript objects) must never be visible to a step of another run; and
 * within a run, independent branches never see each other's files. One worker, so the
 * second run lands where the first one ran, and concurrent runs alternate on it.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defineWorkflow } from "../../src/core/builder.js";
import type { Engine } from "../../src/core/engine.js";
import type { AttackLanguage } from "./attack-runner.js";
import { SHOW_HOLES, securityEngine } from "./attack-runner.js";

interface Step {
  readonly language: AttackLanguage;
  readonly code: string;
}

interface CrossRunCase {
  readonly name: string;
  /** Run 1: leaves something behind and returns "planted", or fails when it is refused. */
  readonly plant: Step;
  /** Run 2: returns "clean" when it finds nothing of run 1. */
  readonly probe: Step;
  /** Run 3, whatever happened: removes what a hole let run 1 leave. */
  readonly cleanup?: Step;
  readonly hole?: string;
  /** Runs on an engine of its own (what it leaves cannot be cleaned up). */
  readonly ownEngine?: boolean;
}

const jsProto = `from pyodide.ffi import to_js
O = to_js({}).constructor
P = O.getPrototypeOf(to_js({}))
def hidden(name, value):
    O.defineProperty(P, name, to_js({"value": value, "configurable": True}, dict_converter=O.fromEntries))
`;

/**
 * For probes that look through the JavaScript bridge: Python steps no longer have one
 * (pyodide.ffi's converters are removed), and then neither could the plant reach
 * JavaScript: there is nothing to see, and nothing to see it with.
 */
const bridgeOrNone = `try:
    from pyodide.ffi import to_js, JsException
except ImportError:
    to_js = None
`;

const CASES: readonly CrossRunCase[] = [
  {
    name: "Python builtins, sys.modules, patched json.loads, os.environ and files outside the workspace",
    plant: {
      language: "python",
      code: `import builtins, sys, os, json
builtins.sf_mark = "planted"
sys.modules["sf_mod"] = type(sys)("sf_mod")
json.loads = lambda *a, **k: {"forged": True}
os.environ["SF_MARK"] = "planted"
os.makedirs("/home/pyodide/sf", exist_ok=True)
open("/home/pyodide/sf/mark", "w").write("planted")
open("/lib/sf_mark.py", "w").write("x = 1")
def run():
    return "planted"`,
    },
    probe: {
      language: "python",
      code: `import builtins, sys, os, json
def run(inputs):
    found = [n for n, hit in [("builtins", hasattr(builtins, "sf_mark")), ("sys.modules", "sf_mod" in sys.modules),
        ("json.loads", "forged" in inputs or json.loads("{}") != {}), ("environ", "SF_MARK" in os.environ),
        ("home file", os.path.exists("/home/pyodide/sf/mark")), ("lib file", os.path.exists("/lib/sf_mark.py"))] if hit]
    return found or "clean"`,
    },
  },
  {
    name: "Lua globals, the string table, the string metatable, math and os",
    plant: {
      language: "lua",
      code: `_G.sf_mark = "planted"; string.sf_mark = "planted"; getmetatable("").__index.sf_mark2 = "planted"
math.pi = 3; os.time = function() return 0 end
setmetatable(_G, { __index = function() return "forged" end })
function run() return "planted" end`,
    },
    probe: {
      language: "lua",
      code: `function run()
  local found = {}
  if rawget(_G, "sf_mark") then found[#found + 1] = "_G" end
  if string.sf_mark or getmetatable("").__index.sf_mark2 then found[#found + 1] = "string" end
  if math.pi == 3 or os.time() == 0 then found[#found + 1] = "math/os" end
  if getmetatable(_G) ~= nil then found[#found + 1] = "_G metatable" end
  if #found > 0 then return found end
  return "clean"
end`,
    },
  },
  {
    name: "shell files everywhere in its file system",
    plant: {
      language: "shell",
      code: `for f in /etc/sf_mark /tmp/sf_mark /workspace/sf_mark /usr/bin/sf_mark /run/sf_mark; do echo planted > $f; done; echo '"planted"'`,
    },
    probe: {
      language: "shell",
      code: `for f in /etc/sf_mark /tmp/sf_mark /workspace/sf_mark /usr/bin/sf_mark /run/sf_mark; do [ -e $f ] && { echo "[\\"$f\\"]"; exit 0; }; done; echo '"clean"'`,
    },
  },
  {
    name: "workspace files of a Python step, read by a Lua step of the next run",
    plant: {
      language: "python",
      code: `def run():\n    open("/workspace/secret", "w").write("run-1-secret")\n    open("/tmp/secret", "w").write("run-1-secret")\n    return "planted"`,
    },
    probe: {
      language: "lua",
      code: `function run()\n  for _, p in ipairs({ "/workspace/secret", "/tmp/secret" }) do\n    if pcall(sandflow.read_file, p) then return p end\n  end\n  return "clean"\nend`,
    },
  },
  {
    name: "a property on Object.prototype of the worker",
    plant: {
      language: "python",
      code: `${jsProto}def run():\n    hidden("sfCrossRun", "planted")\n    return "planted"`,
    },
    probe: {
      language: "python",
      code: `${bridgeOrNone}def run():\n    if to_js is None:\n        return "clean"\n    v = getattr(to_js({}), "sfCrossRun", None)\n    return "clean" if v is None else "seen: " + str(v)`,
    },
    cleanup: {
      language: "python",
      code: `${jsProto}def run():\n    try:\n        del P.sfCrossRun\n    except Exception:\n        pass\n    return 1`,
    },
  },
  {
    name: "a fake workspace file planted on Object.prototype, read by a Lua step of the next run",
    plant: {
      language: "python",
      code: `${jsProto}def run():\n    hidden("/workspace/planted", to_js(b"forged by run 1"))\n    return "planted"`,
    },
    probe: {
      language: "lua",
      code: `function run()\n  local ok, v = pcall(sandflow.read_file, "/workspace/planted")\n  if ok then return "seen: " .. v end\n  return "clean"\nend`,
    },
    cleanup: {
      language: "python",
      code: `${jsProto}def run():\n    try:\n        delattr(P, "/workspace/planted")\n    except Exception:\n        pass\n    return 1`,
    },
  },
  {
    name: "Error.prepareStackTrace set by a Python step",
    plant: {
      language: "python",
      code: `from pyodide.ffi import to_js, create_proxy, JsException
def run():
    try:
        to_js([]).constructor(-1)
    except JsException as e:
        to_js({}).constructor.getPrototypeOf(e.js_error.constructor).prepareStackTrace = create_proxy(lambda e, s: "forged stack")
    return "planted"`,
    },
    probe: {
      language: "python",
      code: `${bridgeOrNone}def run():
    if to_js is None:
        return "clean"
    try:
        to_js([]).constructor(-1)
    except JsException as e:
        stack = str(e.js_error.stack)
    return "clean" if "forged" not in stack else "seen: " + stack`,
    },
    cleanup: {
      language: "python",
      code: `from pyodide.ffi import to_js, JsException
def run():
    try:
        to_js([]).constructor(-1)
    except JsException as e:
        to_js({}).constructor.getPrototypeOf(e.js_error.constructor).prepareStackTrace = None
    except Exception:
        pass
    return 1`,
    },
    ownEngine: true,
  },
  {
    name: "an enumerable property on Object.prototype, then any Python step of the next run",
    plant: {
      language: "python",
      code: `${jsProto}def run():\n    P.sfEnumerable = "planted"\n    return "planted"`,
    },
    probe: { language: "python", code: `def run():\n    return "clean"` },
    ownEngine: true,
  },
];

const one = (name: string, s: Step) =>
  defineWorkflow({ name, steps: { s: { language: s.language, code: s.code } } });

describe("isolation between runs (one worker, consecutive runs)", () => {
  let engine: Engine;
  beforeAll(() => {
    engine = securityEngine(undefined, 1);
  });
  afterAll(async () => {
    await engine?.close();
  });

  for (const c of CASES) {
    const body = async () => {
      const target = c.ownEngine ? securityEngine(undefined, 1) : engine;
      try {
        // The plant either leaves its mark or is refused with a clean failure.
        const planted = (await target.run(one("plant", c.plant))).steps.s;
        if (planted?.status === "succeeded") expect(planted.output).toBe("planted");
        else expect(planted?.error?.name, planted?.error?.message).toBe("StepRuntimeError");
        const probed = await target.run(one("probe", c.probe));
        expect(probed.steps.s?.error ?? null).toBeNull();
        expect(probed.steps.s?.output).toBe("clean");
      } finally {
        if (c.cleanup) await target.run(one("cleanup", c.cleanup));
        if (c.ownEngine) await target.close();
      }
    };
    if (c.hole && !SHOW_HOLES) it.fails(`${c.name} (HOLE: ${c.hole})`, body, 60_000);
    else it(c.name, body, 60_000);
  }

  it("independent branches of one run never see each other's files; dependents do", async () => {
    const report = await engine.run(
      defineWorkflow({
        name: "branches",
        steps: {
          a: {
            language: "python",
            code: `def run():\n    open("/workspace/a", "w").write("from a")\n    return 1`,
          },
          b: {
            language: "lua",
            code: `function run() return { pcall(sandflow.read_file, "/workspace/a") } end`,
          },
          c: { language: "shell", depends_on: ["a"], code: `cat /workspace/a | sed 's/.*/"&"/'` },
          d: { language: "shell", code: `[ -e /workspace/a ] && echo '"seen"' || echo '"clean"'` },
        },
      }),
    );
    expect(report.steps.b?.output).toEqual([false, "/workspace/a: no such file"]);
    expect(report.steps.c?.output).toBe("from a");
    expect(report.steps.d?.output).toBe("clean");
  });

  it("runs whose steps alternate on one worker each keep to their own interpreters", async () => {
    // Each step reports whose mark it found, then leaves its own run's mark.
    const chain = (mark: string) => {
      const steps: Record<string, { language: "python" | "lua"; code: string; depends_on?: string[] }> = {};
      for (let i = 0; i < 6; i++) {
        const language = i % 2 === 0 ? "python" : "lua";
        const code =
          language === "python"
            ? `import builtins\ndef run():\n    seen = getattr(builtins, "sf_owner", None)\n    builtins.sf_owner = "${mark}"\n    return seen`
            : `function run()\n  local seen = sf_owner\n  sf_owner = "${mark}"\n  return seen\nend`;
        steps[`s${i}`] = { language, code, ...(i > 0 ? { depends_on: [`s${i - 1}`] } : {}) };
      }
      return defineWorkflow({ name: `chain-${mark}`, steps });
    };
    const reports = await Promise.all(["A", "B", "C"].map((mark) => engine.run(chain(mark))));
    reports.forEach((report, r) => {
      const mark = ["A", "B", "C"][r];
      expect(report.status).toBe("succeeded");
      const seen = Object.values(report.steps).map((s) => s.output);
      expect(seen.slice(0, 2)).toEqual([null, null]);
      expect(seen.slice(2)).toEqual([mark, mark, mark, mark]);
    });
  });
});
