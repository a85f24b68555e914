/**
 * Fuzzes the workflow loaders with random and mutated Lua, YAML and JSON files and a
 * corpus of hostile ones: `parseWorkflowSource` (with the in-thread Lua evaluator, and the
 * worker-thread one for the hostile corpus) and `loadWorkflowFile` (files on disk, `file`
 * steps included, its default worker evaluator) must only ever answer with a
 * valid workflow or a WorkflowLoadError / WorkflowValidationError: never another
 * exception, never a change to Object.prototype, never a case slower than the bound.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { LuaFactory } from "wasmoon";
import { createLuaWorkflowEvaluator } from "../../runtimes/lua/workflow-evaluator.js";
import { WorkflowLoadError, WorkflowValidationError } from "../../src/core/errors.js";
import { parseWorkflowSource } from "../../src/core/loaders/parse-source.js";
import type { Result } from "../../src/core/result.js";
import type { WorkflowDefinition } from "../../src/core/workflow.js";
import { createWorkerLuaEvaluator } from "../../src/node/worker-lua-evaluator.js";
import { loadWorkflowFile } from "../../src/node/workflow-file.js";
import {
  edits,
  type Format,
  formatOrDetect,
  mutate,
  randomText,
  render,
  workflowValue,
} from "./fuzz-generators.js";
import { HOSTILE_FILES } from "./fuzz-hostile-corpus.js";

/** Longest a single case may take (a Lua file at its 50-million-instruction budget takes about 1 s). */
const CASE_MS = 5000;
/** SECURITY_FUZZ_SCALE=10 runs ten times as many random cases. */
const SCALE = Number(process.env.SECURITY_FUZZ_SCALE ?? 1);
const runs = (n: number) => ({ numRuns: Math.round(n * SCALE) });
/** The in-thread evaluator (the brief's) and the one the engine and loadWorkflowFile use. */
const evaluator = createLuaWorkflowEvaluator(() => new LuaFactory());
const workerEvaluator = createWorkerLuaEvaluator();
const protoKeys = () => Object.getOwnPropertyNames(Object.prototype).sort().join(",");
const PROTO = protoKeys();
const dir = mkdtempSync(join(tmpdir(), "sandflow-fuzz-"));
const outside = mkdtempSync(join(tmpdir(), "sandflow-fuzz-outside-"));
const SECRET = `fuzz-secret-${process.pid}`;
writeFileSync(join(outside, "secret.lua"), SECRET);
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  rmSync(outside, { recursive: true, force: true });
});

type Loaded = Result<WorkflowDefinition, WorkflowLoadError | WorkflowValidationError>;

/** Runs one load and checks it answered with a typed result, in time, leaving no trace. */
async function expectTyped(what: string, load: () => Promise<Loaded>): Promise<Loaded> {
  const t0 = Date.now();
  let result: Loaded;
  try {
    result = await load();
  } catch (e) {
    throw new Error(`${what}: threw ${(e as Error)?.name}: ${(e as Error)?.message?.slice(0, 300)}`);
  }
  const ms = Date.now() - t0;
  expect(ms, `${what}: took ${ms} ms`).toBeLessThan(CASE_MS);
  expect(protoKeys(), `${what}: Object.prototype changed`).toBe(PROTO);
  if (result.ok) {
    expect(typeof result.value.name, what).toBe("string");
    expect(result.value.steps.length, what).toBeGreaterThan(0);
    for (const s of result.value.steps) expect(typeof (s.code ?? s.file), what).toBe("string");
    expect(JSON.stringify(result.value), what).not.toContain(SECRET);
  } else {
    const typed =
      result.error instanceof WorkflowLoadError || result.error instanceof WorkflowValidationError;
    expect(typed, `${what}: ${result.error?.name}: ${result.error?.message?.slice(0, 200)}`).toBe(true);
    expect(result.error.message).not.toContain(SECRET);
  }
  return result;
}

const parse =
  (text: string, format: Format | undefined, luaEvaluator = evaluator) =>
  () =>
    parseWorkflowSource(text, { luaEvaluator, ...(format ? { format } : {}) });

const extension: Record<Format, string> = { lua: ".lua", yaml: ".yaml", json: ".json" };

describe("fuzzing the workflow loaders", () => {
  it("random workflow-like values as JSON and YAML", async () => {
    await fc.assert(
      fc.asyncProperty(workflowValue, fc.constantFrom<Format>("json", "yaml"), async (value, format) => {
        await expectTyped(`${format} value`, parse(render(value, format), format));
      }),
      runs(300),
    );
  }, 120_000);

  it("random workflow-like values as Lua files", async () => {
    await fc.assert(
      fc.asyncProperty(workflowValue, async (value) => {
        await expectTyped("lua value", parse(render(value, "lua"), "lua"));
      }),
      runs(150),
    );
  }, 120_000);

  it("mutated Lua, YAML and JSON files", async () => {
    await fc.assert(
      fc.asyncProperty(
        workflowValue,
        fc.constantFrom<Format>("lua", "yaml", "json"),
        edits,
        formatOrDetect,
        async (value, format, e, as) => {
          await expectTyped(`mutated ${format} as ${as}`, parse(mutate(render(value, format), e), as));
        },
      ),
      runs(300),
    );
  }, 180_000);

  it("random text in every format and with the format detected", async () => {
    await fc.assert(
      fc.asyncProperty(randomText, formatOrDetect, async (text, format) => {
        await expectTyped(`random text as ${format}`, parse(text, format));
      }),
      runs(300),
    );
  }, 120_000);

  for (const file of HOSTILE_FILES) {
    it(`hostile ${file.format}: ${file.name}`, async () => {
      await expectTyped(file.name, parse(file.text, file.format));
      if (file.format === "lua")
        await expectTyped(`${file.name} (worker)`, parse(file.text, "lua", workerEvaluator));
    }, 30_000);
  }

  it("loadWorkflowFile with random files on disk and hostile `file` steps", async () => {
    mkdirSync(join(dir, "dir"), { recursive: true });
    writeFileSync(join(dir, "step.lua"), "function run() return 1 end");
    writeFileSync(join(dir, "big.lua"), "x".repeat(1024 * 1024 + 1));
    symlinkSync(join(outside, "secret.lua"), join(dir, "link"));
    symlinkSync("/dev/zero", join(dir, "zero"));
    const fileStep = fc.constantFrom(
      "step.lua",
      "dir",
      "link",
      "zero",
      "big.lua",
      "../secret.lua",
      `${outside}/secret.lua`,
      "/dev/zero",
      "missing.lua",
      "",
    );
    let n = 0;
    await fc.assert(
      fc.asyncProperty(
        workflowValue,
        fc.constantFrom<Format>("lua", "yaml", "json"),
        fileStep,
        fc.option(edits),
        async (value, format, file, e) => {
          const withFile = {
            name: "w",
            steps: { a: { file }, b: { code: "x", depends_on: ["a"] } },
            extra: value,
          };
          const chosen = n % 2 === 0 ? withFile : value;
          const text = render(chosen, format);
          const path = join(dir, `wf-${n++}${extension[format]}`);
          writeFileSync(path, e ? mutate(text, e) : text);
          await expectTyped(`file ${path}`, () => loadWorkflowFile(path));
        },
      ),
      runs(200),
    );
    for (const file of ["link", "../secret.lua", `${outside}/secret.lua`, "zero", "dir", "big.lua"]) {
      const path = join(dir, `only-${n++}.json`);
      writeFileSync(path, JSON.stringify({ name: "w", steps: { a: { file } } }));
      const r = await expectTyped(`file step ${file}`, () => loadWorkflowFile(path));
      expect(r.ok, `file step ${file} was accepted`).toBe(false);
    }
    for (const path of [
      join(dir, "dir"),
      "/dev/zero",
      join(dir, "zero"),
      join(dir, "missing.yaml"),
      join(dir, "big.lua"),
    ]) {
      const r = await expectTyped(`workflow file ${path}`, () => loadWorkflowFile(path));
      expect(r.ok).toBe(false);
    }
  }, 180_000);
});
