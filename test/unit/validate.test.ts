import { describe, expect, it } from "vitest";
import { WorkflowValidationError } from "../../src/core/errors.js";
import { parseWorkflow } from "../../src/core/validate.js";

function issues(raw: unknown): string[] {
  const result = parseWorkflow(raw, { source: "test.yaml" });
  if (result.ok) throw new Error("expected the workflow to be invalid");
  expect(result.error).toBeInstanceOf(WorkflowValidationError);
  return result.error.issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message));
}

const lua = (code = "function run() return 1 end") => ({ language: "lua", code });

describe("parseWorkflow", () => {
  it("normalises a valid workflow: aliases, defaults, topological order", () => {
    const result = parseWorkflow({
      name: "etl",
      defaults: { retries: 2, timeout: 5, env: { A: "1" } },
      steps: {
        save: { language: "bash", code: "echo {}", depends_on: ["process"], env: { B: "2" } },
        process: { depends_on: ["fetch"], code: "function run() end" },
        fetch: { language: "python", code: "def run(): return 1", retries: 0 },
      },
    });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const wf = result.value;
    expect(wf.steps.map((s) => s.id)).toEqual(["fetch", "process", "save"]);
    const [fetch, process, save] = wf.steps;
    expect(fetch?.language).toBe("python");
    expect(fetch?.retries).toBe(0);
    expect(process?.language).toBe("lua");
    expect(process?.retries).toBe(2);
    expect(save?.language).toBe("shell");
    expect(save?.env).toEqual({ A: "1", B: "2" });
    expect(save?.timeout).toBe(5);
  });

  it("names a cycle step by step", () => {
    const found = issues({
      steps: {
        a: { ...lua(), depends_on: ["c"] },
        b: { ...lua(), depends_on: ["a"] },
        c: { ...lua(), depends_on: ["b"] },
        d: lua(),
      },
    });
    expect(found).toEqual(["steps.a.depends_on: dependency cycle: a -> c -> b -> a"]);
  });

  it("names the step and the missing dependency, with a suggestion", () => {
    expect(issues({ steps: { fetch: lua(), process: { ...lua(), depends_on: ["fetc"] } } })).toEqual([
      "steps.process.depends_on[0]: step 'process' depends on 'fetc', which is not a step of this workflow (did you mean 'fetch'?)",
    ]);
  });

  it("rejects a self-dependency and a repeated dependency", () => {
    expect(
      issues({ steps: { a: { ...lua(), depends_on: ["a"] }, b: { ...lua(), depends_on: ["a", "a"] } } }),
    ).toEqual([
      "steps.a.depends_on[0]: step 'a' depends on itself",
      "steps.b.depends_on[1]: step 'b' lists 'a' twice",
    ]);
  });

  it("rejects an unknown language and lists the known ones", () => {
    const [msg] = issues({ steps: { a: { language: "ruby", code: "x" } } });
    expect(msg).toMatch(
      /^steps\.a\.language: unknown language "ruby"; expected one of python, lua, shell, sh, bash, javascript, js, wasm$/,
    );
  });

  it("names a language that is not a string, whatever it is", () => {
    expect(issues({ steps: { a: { language: { toString: "" }, code: "x" } } })).toEqual([
      "steps.a.language: expected a language name (one of python, lua, shell, sh, bash, javascript, js, wasm), got a table/object",
    ]);
  });

  it("names a value outside a field's choices, the choices, and the nearest one", () => {
    expect(
      issues({
        params: { n: { type: "strng" } },
        steps: { a: { ...lua(), trigger_rule: "all_sucess" } },
      }),
    ).toEqual([
      'params.n.type: expected one of "string", "number", "integer", "boolean", "object", "array", got the string "strng" (did you mean \'string\'?)',
      'steps.a.trigger_rule: expected one of "all_success", "all_done", "all_failed", "one_failed", "one_success", "none_failed", got the string "all_sucess" (did you mean \'all_success\'?)',
    ]);
  });

  it("names wrong field types", () => {
    expect(issues({ steps: { a: { ...lua(), timeout: "10", retries: 1.5, depends_on: "b" } } })).toEqual([
      'steps.a.timeout: must be seconds (a number) or a duration such as "30s", "250ms" or "1h30m", got the string "10"',
      "steps.a.retries: expected int, got number 1.5",
      'steps.a.depends_on: expected array, got the string "b"',
    ]);
  });

  it("takes timeout and retry_delay in seconds or as a duration, as sleep takes them", () => {
    const steps = (extra: object) => {
      const r = parseWorkflow({ steps: { a: { ...lua(), ...extra } } });
      if (!r.ok) throw r.error;
      return r.value.steps[0];
    };
    expect(steps({ timeout: "1m30s", retry_delay: "250ms" })).toMatchObject({
      timeout: 90,
      retryDelay: 0.25,
    });
    expect(steps({ timeout: 2.5, retry_delay: 0 })).toMatchObject({ timeout: 2.5, retryDelay: 0 });
    const d = parseWorkflow({ defaults: { timeout: "5s", retry_delay: "1s" }, steps: { a: lua() } });
    expect(d.ok && d.value.steps[0]).toMatchObject({ timeout: 5, retryDelay: 1 });
    expect(issues({ steps: { a: { ...lua(), timeout: "0s", retry_delay: "30 days" } } })).toEqual([
      "steps.a.timeout: must be above 0",
      'steps.a.retry_delay: must be seconds (a number) or a duration such as "30s", "250ms" or "1h30m", got the string "30 days"',
    ]);
    expect(issues({ steps: { a: { ...lua(), timeout: "25d" } } })).toEqual([
      "steps.a.timeout: must be at most 2147483 seconds (about 24.8 days, the range of timers)",
    ]);
  });

  it("names unknown fields with a suggestion", () => {
    const found = issues({ steps: { a: { ...lua(), dependson: ["x"] } }, nmae: "x" });
    expect(found.sort()).toEqual([
      "nmae: unknown field 'nmae' (did you mean 'name'?)",
      "steps.a.dependson: unknown field 'dependson' (did you mean 'depends_on'?)",
    ]);
  });

  it("rejects an empty workflow, a missing steps table and a non-object", () => {
    expect(issues({ steps: {} })).toEqual(["steps: the workflow has no steps"]);
    expect(issues({ name: "x" })).toEqual(["steps: is required (a table/object)"]);
    expect(issues(42)).toEqual(["a workflow must be a table/object with a 'steps' field, got number 42"]);
  });

  it("requires exactly one of code and file, and keeps file paths inside the folder", () => {
    expect(
      issues({
        steps: {
          a: { language: "lua" },
          b: { code: "x", file: "b.lua" },
          c: { file: "../c.lua" },
          d: { file: "/etc/passwd" },
        },
      }),
    ).toEqual([
      "steps.a: needs 'code' or 'file'",
      "steps.b: has both 'code' and 'file'; give one",
      `steps.c.file: "../c.lua" must stay inside the workflow's folder (no '..')`,
      `steps.d.file: "/etc/passwd" must be relative to the workflow file`,
    ]);
  });

  it("rejects bad step ids and environment variable names", () => {
    expect(issues({ steps: { "1st step": lua() }, defaults: { env: { "BAD-NAME": "x" } } })).toEqual([
      "steps[\"1st step\"]: step id \"1st step\" must start with a letter or '_' and hold only letters, digits, '_', '-' or '.' (at most 128)",
      'defaults.env.BAD-NAME: environment variable name "BAD-NAME" must match [A-Za-z_][A-Za-z0-9_]*',
    ]);
  });

  it("prefixes the message with the source and counts the problems", () => {
    const result = parseWorkflow(
      { steps: { a: { language: "cobol", code: "x" }, b: { ...lua(), depends_on: ["zz"] } } },
      { source: "wf.yaml" },
    );
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.message).toMatch(/^wf\.yaml: invalid workflow \(2 problems\):/);
  });

  it("reports every problem at once: schema errors and the checks after them", () => {
    expect(
      issues({
        steps: {
          a: { language: "ruby", code: "x" },
          b: { code: "x", file: "b.lua", depends_on: ["a", "c", 3] },
          c: { retries: -1, file: 7 },
          d: { code: "x", depends_on: ["e"], env: { "BAD-NAME": "x" } },
          e: { code: "x", depends_on: ["d", "f"] },
          f: 42,
        },
      }),
    ).toEqual([
      'steps.a.language: unknown language "ruby"; expected one of python, lua, shell, sh, bash, javascript, js, wasm',
      "steps.b.depends_on[2]: expected string, got number 3",
      "steps.c.retries: must be at least 0, got number -1",
      "steps.c.file: expected string, got number 7",
      "steps.f: expected object, got number 42",
      "steps.b: has both 'code' and 'file'; give one",
      'steps.d.env.BAD-NAME: environment variable name "BAD-NAME" must match [A-Za-z_][A-Za-z0-9_]*',
      "steps.d.depends_on: dependency cycle: d -> e -> d",
    ]);
  });

  it("suggests a name only when it is close", () => {
    expect(issues({ steps: { a: { language: "wasm", code: "x" } } })[0]).not.toContain("did you mean");
    expect(issues({ steps: { a: { language: "pyhton", code: "x" } } })[0]).toContain(
      "(did you mean 'python'?)",
    );
    expect(issues({ steps: { a: { lang: "lua", code: "x" } } })).toEqual([
      "steps.a.lang: unknown field 'lang' (did you mean 'language'?)",
    ]);
    expect(
      issues({ steps: { a: { code: "x", depends_on: ["zzz"] }, fetch: { code: "x" } } })[0],
    ).not.toContain("did you mean");
  });
});

describe("entries zod drops unchecked (__proto__ keys)", () => {
  it("reports what is wrong with them instead of throwing", () => {
    const step = parseWorkflow({ steps: { ["__proto__"]: { unknown_field: 0 } } });
    expect(step.ok).toBe(false);
    if (!step.ok)
      expect(step.error.issues.map((i) => `${i.path}: ${i.message}`)).toEqual([
        "steps.__proto__.unknown_field: unknown field 'unknown_field'",
        "steps.__proto__: needs 'code' or 'file'",
      ]);
    const env = parseWorkflow({ steps: { a: { code: "x", env: { ["__proto__"]: 5 } } } });
    expect(env.ok).toBe(false);
    if (!env.ok) expect(env.error.issues[0]?.message).toMatch(/expected string, got number 5/);
    const fine = parseWorkflow({ steps: { ["__proto__"]: { code: "x" } } });
    expect(fine.ok && fine.value.steps.map((s) => s.id)).toEqual(["__proto__"]);
  });
});

describe("bounds in words", () => {
  it("names the bound and the value given, for numbers, texts and lists", () => {
    expect(
      issues({
        name: "w",
        steps: { a: { language: "lua", code: "x", timeout: 0, retries: 101, memory: -2 } },
      }),
    ).toEqual([
      "steps.a.timeout: must be above 0, got number 0",
      "steps.a.retries: must be at most 100, got number 101",
      "steps.a.memory: must be above 0, got number -2",
    ]);
  });
});
