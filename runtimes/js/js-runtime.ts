/**
 * JavaScript steps on QuickJS compiled to WebAssembly (quickjs-emscripten): the module is
 * loaded once per worker, an instance holds one QuickJS runtime (with the step's memory
 * and stack limits and an interrupt handler), and every step gets a fresh context in it,
 * so nothing a step defines or changes is seen by the next. Never a V8 realm of the host.
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
import { installFetch } from "./js-fetch.js";
import { installGlobals, plainScriptOutput } from "./js-globals.js";
import { JS_EXPLAIN, JS_FINISH } from "./js-prelude.js";

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

/** The wasm heap of a QuickJS module (quickjs-emscripten keeps the Emscripten module private). */
function heapBytes(module: QuickJSWASMModule): number {
  return (module as unknown as { module: { HEAPU8: Uint8Array } }).module.HEAPU8.byteLength;
}

function failure(name: string, message: string): StepFailure {
  return { name, message };
}

class JsRuntime implements LanguageRuntime {
  readonly #module: QuickJSWASMModule;
  #runtime: QuickJSRuntime;
  #current: StepInvocation | undefined;
  #files: StepFiles | undefined;
  #heapLimit = Number.POSITIVE_INFINITY;
  #heapExceeded = false;

  constructor(module: QuickJSWASMModule) {
    this.#module = module;
    this.#runtime = this.#newRuntime();
  }

  #newRuntime(): QuickJSRuntime {
    const runtime = this.#module.newRuntime();
    runtime.setMaxStackSize(STACK_BYTES);
    runtime.setInterruptHandler(() => {
      if (heapBytes(this.#module) > this.#heapLimit) {
        this.#heapExceeded = true;
        return true;
      }
      return this.#current?.interrupted() ?? false;
    });
    return runtime;
  }

  async run(inv: StepInvocation): Promise<StepOutcome> {
    this.#current = inv;
    this.#files = new StepFiles(inv.files, inv.limits.workspaceBytes);
    this.#heapExceeded = false;
    this.#heapLimit = heapBytes(this.#module) + HEAP_SLACK * inv.limits.memoryBytes + 16 * 1048576;
    this.#runtime.setMemoryLimit(inv.limits.memoryBytes);
    let ctx: QuickJSContext | undefined;
    let discard = false;
    try {
      ctx = this.#runtime.newContext();
      const outcome = this.#step(ctx, inv);
      if (!outcome.ok && (outcome.error.name === "MemoryLimitError" || this.#heapExceeded)) discard = true;
      // Promise jobs a step left queued belong to the runtime, not the context: they must
      // never run in a later step, so their runtime goes.
      if (this.#runtime.hasPendingJob()) discard = true;
      return outcome;
    } catch (e) {
      discard = true;
      if (e instanceof RangeError) {
        // The host's native stack ran out inside QuickJS (its parser and JSON recurse deeper
        // per stack byte than its calls): the wasm instance is left inconsistent, so this
        // throw makes the worker load QuickJS afresh.
        throw new Error(`the step ran out of the worker's native stack (${e.message}); QuickJS is reloaded`);
      }
      throw e;
    } finally {
      this.#current = undefined;
      this.#files = undefined;
      try {
        ctx?.dispose();
      } catch {
        discard = true;
      }
      if (discard || this.#heapExceeded) {
        try {
          this.#replaceRuntime();
        } catch {
          // A module left inconsistent cannot make a runtime: the next step's failure to
          // run has the worker load QuickJS afresh.
        }
      }
    }
  }

  /** A runtime that ran out of memory (or broke) is thrown away, never reused. */
  #replaceRuntime(): void {
    try {
      this.#runtime.dispose();
    } catch {
      // A broken runtime may fail to free itself; it is unreachable from here on.
    }
    this.#runtime = this.#newRuntime();
  }

  #step(ctx: QuickJSContext, inv: StepInvocation): StepOutcome {
    const files = () => this.#files?.tree() ?? inv.files;
    const handles: QuickJSHandle[] = [];
    const keep = <T extends QuickJSHandle>(h: T): T => {
      handles.push(h);
      return h;
    };
    try {
      const lastLog = installGlobals(ctx, inv, this.#files as StepFiles);
      const fetchFailed = installFetch(ctx, inv);
      if (fetchFailed) return this.#thrown(ctx, fetchFailed, inv);
      const made = ctx.evalCode(JS_FINISH, "sandflow-finish.js");
      if (made.error) return this.#thrown(ctx, made.error, inv);
      const json = keep(ctx.newString(inv.inputsJson));
      const setup = ctx.callFunction(keep(made.value), ctx.undefined, json);
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
        return { ok: true, outputJson: plainScriptOutput(lastLog()), files: files() };
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
        const explain = ctx.evalCode(JS_EXPLAIN, "sandflow-explain.js");
        if (explain.error) return this.#thrown(ctx, explain.error, inv);
        const bad = keep(ctx.getProp(finish, "bad"));
        const explained = ctx.callFunction(keep(explain.value), ctx.undefined, bad);
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
            files: this.#files?.tree() ?? inv.files,
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
        const stack = (e.stack ?? "")
          .split("\n")
          .filter((l) => l.trim() !== "" && !l.includes("sandflow-"))
          .slice(0, 30)
          .join("\n");
        message = `${e.name ?? "Error"}: ${e.message ?? ""}${stack ? `\n${stack}` : ""}`;
      } else {
        message = `uncaught ${typeof value === "string" ? JSON.stringify(value) : String(value)}`;
      }
    } finally {
      error.dispose();
    }
    const files = this.#files?.tree() ?? inv.files;
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

  memoryBytes(): number {
    return heapBytes(this.#module);
  }

  dispose(): void {
    this.#runtime.dispose();
  }
}

/** Creates the JavaScript runtime factory: the QuickJS module is loaded once, contexts are cheap. */
export function createJsRuntimeFactory(options: JsRuntimeFactoryOptions): LanguageRuntimeFactory {
  let module: Promise<QuickJSWASMModule> | undefined;
  return {
    language: "javascript",
    create: async () => {
      module ??= options.loadModule();
      return new JsRuntime(await module);
    },
  };
}
