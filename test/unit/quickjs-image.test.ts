/**
 * The QuickJS memory image (runtimes/js/quickjs-image.ts) as the JavaScript runtime uses
 * it: after every step the module's memory is the image again, with nothing of the step
 * left in it, and the host functions of sandflow's globals still answer.
 */
import type { QuickJSWASMModule } from "quickjs-emscripten-core";
import { beforeAll, describe, expect, it } from "vitest";
import { createJsRuntimeFactory } from "../../runtimes/js/js-runtime.js";
import { loadQuickJsModule } from "../../runtimes/js/node-quickjs.js";
import type { LanguageRuntime, StepInvocation, StepOutcome } from "../../runtimes/worker/language-runtime.js";

let module: QuickJSWASMModule;
let runtime: LanguageRuntime;

beforeAll(async () => {
  const factory = createJsRuntimeFactory({
    loadModule: async () => {
      module = await loadQuickJsModule();
      return module;
    },
  });
  runtime = await factory.create();
});

function memory(): Uint8Array {
  return (module as unknown as { module: { HEAPU8: Uint8Array } }).module.HEAPU8;
}

/** Where `text` (ASCII) occurs in the module's memory. */
function occurrences(text: string): number {
  const mem = memory();
  const first = text.charCodeAt(0);
  let count = 0;
  for (let at = mem.indexOf(first); at >= 0; at = mem.indexOf(first, at + 1)) {
    let i = 1;
    while (i < text.length && mem[at + i] === text.charCodeAt(i)) i++;
    if (i === text.length) count++;
  }
  return count;
}

async function step(
  code: string,
  extra: Partial<StepInvocation> = {},
): Promise<StepOutcome & { out: string }> {
  let out = "";
  const outcome = await runtime.run({
    runId: "run-1",
    stepId: "s",
    attempt: 1,
    code,
    codeHash: "h",
    inputsJson: "{}",
    env: {},
    files: {},
    limits: {
      memoryBytes: 256 * 1048576,
      outputBytes: 1048576,
      resultBytes: 1048576,
      processes: 8,
      workspaceBytes: 1048576,
    },
    emit: (_stream, text) => {
      out += text;
    },
    interrupted: () => false,
    interruptBuffer: new Int32Array(1),
    ...extra,
  });
  return { ...outcome, out };
}

function output(outcome: StepOutcome): unknown {
  if (!outcome.ok) throw new Error(`${outcome.error.name}: ${outcome.error.message}`);
  return JSON.parse(outcome.outputJson);
}

describe("the QuickJS memory image", () => {
  it("keeps nothing of a step in memory after it, small or past the image's heap", async () => {
    const marker = ["left", "over", "-by-a-step-"].join("");
    const small = await step(
      `function run() { globalThis.kept = "${marker}" + "small"; return kept.length; }`,
    );
    expect(output(small)).toBe(marker.length + 5);
    const big = await step(
      `function run() { const parts = []; for (let i = 0; i < 20000; i++) parts.push("${marker}" + i); globalThis.kept = parts; return parts.length; }`,
    );
    expect(output(big)).toBe(20000);
    expect(occurrences(marker)).toBe(0);
  });

  it("wipes a step that recursed until QuickJS stopped it, and runs the next one as new", async () => {
    const marker = ["deep", "-frame-", "text"].join("");
    const deep = await step(
      `function run() { function f(s, n) { return f(s + "${marker}", n + 1); } return f("", 0); }`,
    );
    expect(deep.ok).toBe(false);
    expect(deep.ok || deep.error.message).toMatch(/stack overflow/);
    // The repeated frame is shown once, then how often it repeated.
    expect(deep.ok || deep.error.message).toMatch(
      /at f \(step:s\.js[^\n]*\n {4}\[previous line repeated \d+ more times\]/,
    );
    expect(deep.ok || deep.error.message.split("\n").length).toBeLessThan(6);
    expect(occurrences(marker)).toBe(0);
    expect(output(await step("function run() { return typeof f; }"))).toBe("undefined");
  });

  it("keeps console and sandflow working after a step deleted them and their functions were collected", async () => {
    const gone = await step(`function run() {
      delete globalThis.console; delete globalThis.sandflow;
      let junk = []; for (let i = 0; i < 200000; i++) junk.push({ i }); junk = null;
      return typeof console; }`);
    expect(output(gone)).toBe("undefined");
    const back = await step(`function run() {
      console.log("still here");
      sandflow.writeFile("/tmp/a.txt", "x");
      return sandflow.readFile("/tmp/a.txt"); }`);
    expect(output(back)).toBe("x");
    expect(back.out).toBe("still here\n");
  });

  it("gives each step its own members of sandflow, in one key order, and its own random numbers", async () => {
    const code =
      "function run() { return { keys: Object.keys(sandflow), item: sandflow.item ?? null, r: Math.random() }; }";
    const withItem = output(await step(code, { contextJson: '{"params":{"p":1},"item":"x","index":0}' })) as {
      keys: string[];
      r: number;
    };
    const plain = output(await step(code)) as { keys: string[]; r: number; item?: unknown };
    const again = output(await step(code)) as { r: number };
    expect(withItem).toMatchObject({ item: "x" });
    expect(withItem.keys).toEqual([
      "attempt",
      "step_id",
      "run_id",
      "env",
      "params",
      "item",
      "index",
      "readFile",
      "writeFile",
      "removeFile",
      "listFiles",
    ]);
    expect(plain.keys).toEqual(withItem.keys.filter((k) => k !== "item" && k !== "index"));
    expect(plain.item).toBeNull();
    expect(new Set([withItem.r, plain.r, again.r]).size).toBe(3);
  });
});
