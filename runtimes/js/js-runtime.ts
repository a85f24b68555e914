/**
 * JavaScript steps on QuickJS compiled to WebAssembly (quickjs-emscripten): the module is
 * loaded once per worker and made ready once (a runtime, a context with sandflow's
 * globals, the image of its memory); every step runs in that context and the module's
 * memory is put back to the image after it, so nothing a step defines or changes is seen
 * by the next. Never a V8 realm of the host.
 */
import type {
  QuickJSContext,
  QuickJSHandle,
  QuickJSRuntime,
  QuickJSWASMModule,
} from "quickjs-emscripten-core";
import type {
  LanguageRuntime,
  LanguageRuntimeFactory,
  StepFailure,
  StepInvocation,
  StepOutcome,
} from "../worker/language-runtime.js";
import { StepFiles } from "../worker/step-files.js";
import { FETCH_JS, installFetch } from "./js-fetch.js";
import { type CurrentStep, installGlobals, plainScriptOutput } from "./js-globals.js";
import { JS_BEGIN, JS_EXPLAIN } from "./js-prelude.js";
import { type EmscriptenHeap, QuickJsImage } from "./quickjs-image.js";
import {
  checkNoLazyHandles,
  dropLazyHandles,
  findRandomState,
  findStackTop,
  HostRefsKeeper,
} from "./quickjs-internals.js";

/**
 * Bytes of the QuickJS stack: about 700 JavaScript calls deep. Deeper recursion fails with
 * "InternalError: stack overflow" before the native stack of a browser worker (about 1 MB,
 * shared with the wasm frames) runs out.
 */
const STACK_BYTES = 128 * 1024;
/** Slack of the wasm heap over a step's memory limit (QuickJS's own count misses allocator overhead). */
const HEAP_SLACK = 2;

/** Where the JavaScript runtime gets its QuickJS module (it knows where the .wasm lives on the platform). */
export interface JsRuntimeFactoryOptions {
  /** Loads the QuickJS WebAssembly module (once per worker). */
  readonly loadModule: () => Promise<QuickJSWASMModule>;
}

/** Stack lines with each run of one repeated line shown once, then how often it repeated (as Python's tracebacks do). */
function collapseRepeats(lines: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < lines.length; ) {
    let end = i + 1;
    while (end < lines.length && lines[end] === lines[i]) end++;
    out.push(lines[i] as string);
    const more = end - i - 1;
    if (more > 1) out.push(`    [previous line repeated ${more} more times]`);
    else if (more === 1) out.push(lines[i] as string);
    i = end;
  }
  return out;
}

function failure(name: string, message: string): StepFailure {
  return { name, message };
}

/**
 * One QuickJS module made ready for steps: a runtime (with the stack limit and an interrupt
 * handler), one context with sandflow's globals and prelude, and the image of the module's
 * memory in that state. A step runs in that context and the memory goes back to the image
 * after it, so nothing a step defines, changes or leaves queued is seen by any later step,
 * of its run or another, and a step costs no context of its own (about 120 us in QuickJS).
 */
class JsTemplate {
  /** The Emscripten module (quickjs-emscripten keeps it private). */
  readonly #heap: EmscriptenHeap;
  readonly #runtime: QuickJSRuntime;
  readonly #ctx: QuickJSContext;
  readonly #begin: QuickJSHandle;
  readonly #explain: QuickJSHandle;
  readonly #fetchInstaller: QuickJSHandle;
  readonly #randomState: number;
  readonly #hostRefs: HostRefsKeeper;
  readonly #image: QuickJsImage;
  /** Seeds for Math.random, drawn 512 at a time (one getRandomValues call costs about 10 us in Node). */
  readonly #seeds = new BigUint64Array(512);
  #seedsLeft = 0;
  #step: CurrentStep | undefined;
  #heapLimit = Number.POSITIVE_INFINITY;
  #heapExceeded = false;
  #broken = false;

  constructor(module: QuickJSWASMModule) {
    this.#heap = (module as unknown as { module: EmscriptenHeap }).module;
    const runtime = module.newRuntime();
    this.#runtime = runtime;
    runtime.setMaxStackSize(STACK_BYTES);
    runtime.setInterruptHandler(() => {
      if (this.heapBytes > this.#heapLimit) {
        this.#heapExceeded = true;
        return true;
      }
      return this.#step?.inv.interrupted() ?? false;
    });
    const ctx = runtime.newContext();
    this.#ctx = ctx;
    this.#randomState = findRandomState(ctx, () => this.#heap.HEAPU8);
    const sandflow = installGlobals(ctx, () => this.#step);
    const maker = ctx.unwrapResult(ctx.evalCode(JS_BEGIN, "sandflow-begin.js"));
    this.#begin = ctx.unwrapResult(ctx.callFunction(maker, ctx.undefined, sandflow));
    this.#explain = ctx.unwrapResult(ctx.evalCode(JS_EXPLAIN, "sandflow-explain.js"));
    this.#fetchInstaller = ctx.unwrapResult(ctx.evalCode(FETCH_JS, "sandflow-fetch.js"));
    maker.dispose();
    sandflow.dispose();
    checkNoLazyHandles(ctx);
    this.#hostRefs = new HostRefsKeeper(runtime);
    const stackTop = findStackTop(this.#heap.HEAPU8, runtime, STACK_BYTES);
    this.#image = new QuickJsImage(this.#heap, { stackTop });
  }

  /** The wasm heap's size (wasm memory never shrinks). */
  get heapBytes(): number {
    return this.#heap.HEAPU8.byteLength;
  }

  get broken(): boolean {
    return this.#broken;
  }

  run(inv: StepInvocation): StepOutcome {
    if (this.#broken) throw new Error("the QuickJS module broke in an earlier step; it is loaded afresh");
    this.#step = { inv, files: new StepFiles(inv.files, inv.limits.workspaceBytes), lastLog: undefined };
    this.#heapExceeded = false;
    this.#heapLimit = this.heapBytes + HEAP_SLACK * inv.limits.memoryBytes + 16 * 1048576;
    this.#runtime.setMemoryLimit(inv.limits.memoryBytes);
    this.#seedRandom();
    let done = false;
    try {
      const outcome = this.#run(this.#ctx, inv);
      done = true;
      return outcome;
    } catch (e) {
      if (e instanceof RangeError) {
        // The host's native stack ran out inside QuickJS (its parser and JSON recurse deeper
        // per stack byte than its calls): the wasm instance is left inconsistent, so this
        // throw makes the worker load QuickJS afresh.
        throw new Error(`the step ran out of the worker's native stack (${e.message}); QuickJS is reloaded`);
      }
      throw e;
    } finally {
      this.#step = undefined;
      this.#broken = !done;
      if (done) this.#reset();
    }
  }

  #seedRandom(): void {
    if (this.#seedsLeft === 0) {
      globalThis.crypto.getRandomValues(this.#seeds);
      this.#seedsLeft = this.#seeds.length;
    }
    const seed = this.#seeds[--this.#seedsLeft] || 1n;
    new BigUint64Array(this.#heap.HEAPU8.buffer, this.#randomState, 1)[0] = seed;
  }

  /** Puts the module back to the image: its memory, and the host functions its contexts may call. */
  #reset(): void {
    this.#image.restore();
    this.#hostRefs.restore();
    dropLazyHandles(this.#ctx);
  }

  #run(ctx: QuickJSContext, inv: StepInvocation): StepOutcome {
    const step = this.#step as CurrentStep;
    const files = () => step.files.tree();
    const handles: QuickJSHandle[] = [];
    const keep = <T extends QuickJSHandle>(h: T): T => {
      handles.push(h);
      return h;
    };
    try {
      const fetchFailed = installFetch(ctx, inv, this.#fetchInstaller);
      if (fetchFailed) return this.#thrown(ctx, fetchFailed, inv);
      // No Array.prototype.map here: it is about ten times slower once the worker's
      // intrinsics are frozen (runtimes/shell/arrays.ts).
      const str = (value: string) => keep(ctx.newString(value));
      const setup = ctx.callFunction(
        this.#begin,
        ctx.undefined,
        str(inv.inputsJson),
        str(inv.contextJson ?? '{"params":{}}'),
        str(JSON.stringify(inv.env)),
        str(inv.stepId),
        str(inv.runId),
        keep(ctx.newNumber(inv.attempt)),
      );
      if (setup.error) return this.#thrown(ctx, setup.error, inv);
      const finish = keep(setup.value);
      const loaded = ctx.evalCode(inv.code, `step:${inv.stepId}.js`, { type: "global", strict: false });
      if (loaded.error) return this.#thrown(ctx, loaded.error, inv);
      keep(loaded.value);
      // `function run` is a property of the global object; `const run = ...` is only a binding.
      let run = keep(ctx.getProp(ctx.global, "run"));
      if (ctx.typeof(run) !== "function") {
        const found = ctx.evalCode('typeof run === "function" ? run : undefined', "sandflow-find-run.js");
        if (found.error) return this.#thrown(ctx, found.error, inv);
        run = keep(found.value);
      }
      if (ctx.typeof(run) !== "function") {
        // A plain script's promise callbacks run before its output is taken, as in Node.
        const drained = this.#drain();
        if (drained) return this.#thrown(drained.context, drained, inv);
        return { ok: true, outputJson: plainScriptOutput(step.lastLog), files: files() };
      }
      const called = ctx.callFunction(finish, ctx.undefined, run);
      if (called.error) return this.#thrown(ctx, called.error, inv);
      let result = keep(called.value);
      if (ctx.typeof(result) === "object") {
        const settled = this.#settle(ctx, result, inv);
        if (!settled.ok) return settled.outcome;
        result = keep(settled.value);
      }
      let text = ctx.getString(result);
      if (text === "3") {
        const bad = keep(ctx.getProp(finish, "bad"));
        const explained = ctx.callFunction(this.#explain, ctx.undefined, bad);
        if (explained.error) return this.#thrown(ctx, explained.error, inv);
        text = ctx.getString(keep(explained.value));
      }
      if (text.startsWith("1")) return { ok: true, outputJson: text.slice(1), files: files() };
      return {
        ok: false,
        error: failure("InvalidResultError", `the JavaScript step returned ${text.slice(1)}`),
        files: files(),
      };
    } finally {
      for (const h of handles) if (h.alive) h.dispose();
    }
  }

  /** Runs every queued promise job; the error of one that threw, if any. */
  #drain(): (QuickJSHandle & { context: QuickJSContext }) | undefined {
    while (this.#runtime.hasPendingJob()) {
      const jobs = this.#runtime.executePendingJobs();
      if (jobs.error) return jobs.error;
    }
    return undefined;
  }

  /** Runs the promise jobs until the promise `run` returned settles. */
  #settle(
    ctx: QuickJSContext,
    promise: QuickJSHandle,
    inv: StepInvocation,
  ): { ok: true; value: QuickJSHandle } | { ok: false; outcome: StepOutcome } {
    for (;;) {
      const state = ctx.getPromiseState(promise);
      if (state.type === "fulfilled") return { ok: true, value: state.value };
      if (state.type === "rejected") return { ok: false, outcome: this.#thrown(ctx, state.error, inv) };
      const jobs = this.#runtime.executePendingJobs();
      if (jobs.error) {
        const outcome = this.#thrown(jobs.error.context, jobs.error, inv);
        return { ok: false, outcome };
      }
      if (jobs.value === 0) {
        return {
          ok: false,
          outcome: {
            ok: false,
            error: failure(
              "StepRuntimeError",
              "the promise returned by run never settled (JavaScript steps have no timers or I/O to wait for)",
            ),
            files: this.#step?.files.tree() ?? inv.files,
          },
        };
      }
    }
  }

  /** The outcome of an exception thrown in the step (the handle is disposed). */
  #thrown(ctx: QuickJSContext, error: QuickJSHandle, inv: StepInvocation): StepOutcome {
    let message: string;
    try {
      const value = ctx.dump(error) as unknown;
      if (value && typeof value === "object" && "message" in value) {
        const e = value as { name?: string; message?: string; stack?: string };
        // The prelude's own frames are sandflow's, not the step's.
        const frames = (e.stack ?? "").split("\n").filter((l) => l.trim() !== "" && !l.includes("sandflow-"));
        const stack = collapseRepeats(frames).slice(0, 30).join("\n");
        message = `${e.name ?? "Error"}: ${e.message ?? ""}${stack ? `\n${stack}` : ""}`;
      } else {
        message = `uncaught ${typeof value === "string" ? JSON.stringify(value) : String(value)}`;
      }
    } finally {
      error.dispose();
    }
    const files = this.#step?.files.tree() ?? inv.files;
    if (this.#heapExceeded || /^InternalError: out of memory/.test(message)) {
      const mb = Math.round(inv.limits.memoryBytes / 1048576);
      return {
        ok: false,
        error: failure("MemoryLimitError", `the JavaScript step used more than its memory limit of ${mb} MB`),
        files,
      };
    }
    const name = message.includes("WorkspaceLimitError: ") ? "WorkspaceLimitError" : "StepRuntimeError";
    return { ok: false, error: failure(name, message), files };
  }
}

/**
 * An interpreter of one run: the worker's template, which keeps nothing of a step after it,
 * so every instance shares it and a reset has nothing to do.
 */
class JsRuntime implements LanguageRuntime {
  readonly #template: JsTemplate;

  constructor(template: JsTemplate) {
    this.#template = template;
  }

  async run(inv: StepInvocation): Promise<StepOutcome> {
    return this.#template.run(inv);
  }

  reset(): boolean {
    return !this.#template.broken;
  }

  memoryBytes(): number {
    return this.#template.heapBytes;
  }

  dispose(): void {
    // The template lives as long as the factory: the worker drops both when one broke.
  }
}

/** Creates the JavaScript runtime factory: the QuickJS module is loaded and made ready once. */
export function createJsRuntimeFactory(options: JsRuntimeFactoryOptions): LanguageRuntimeFactory {
  let template: Promise<JsTemplate> | undefined;
  return {
    language: "javascript",
    create: async () => {
      template ??= options.loadModule().then((module) => new JsTemplate(module));
      try {
        return new JsRuntime(await template);
      } catch (e) {
        template = undefined;
        throw e;
      }
    },
  };
}
