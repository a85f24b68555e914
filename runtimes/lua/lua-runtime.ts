/**
 * Lua steps on wasmoon: one compiled WebAssembly module per worker (LuaFactory), one
 * restricted Lua state per instance, compiled `run` functions cached by source.
 */
import type { LuaFactory } from "wasmoon";
import type {
  LanguageRuntime,
  LanguageRuntimeFactory,
  StepInvocation,
  StepOutcome,
} from "../worker/language-runtime.js";
import { StepFiles } from "../worker/step-files.js";
import { createLuaSandbox, type LuaSandbox } from "./lua-sandbox.js";
import { stepTraceback } from "./lua-traceback.js";

const INTERRUPTED = "sandflow: interrupted";

/** Where the Lua runtime gets its LuaFactory (it knows where glue.wasm lives on the platform). */
export interface LuaRuntimeFactoryOptions {
  /** Makes a LuaFactory whose wasm module is loaded (await `getLuaModule()` before returning). */
  readonly createLuaFactory: () => Promise<LuaFactory>;
}

/** The step's context split for the Lua side: params JSON, item JSON and index (-1: no item). */
function contextArgs(contextJson: string | undefined): [string, string, number] {
  if (contextJson === undefined) return ["", "", -1];
  const c = JSON.parse(contextJson) as { params?: unknown; item?: unknown; index?: number };
  const params = c.params === undefined ? "" : JSON.stringify(c.params);
  return c.index === undefined ? [params, "", -1] : [params, JSON.stringify(c.item ?? null), c.index];
}

class LuaRuntime implements LanguageRuntime {
  readonly #compiled = new Map<string, number>();
  #sandbox!: LuaSandbox;
  #current: StepInvocation | undefined;
  #files: StepFiles | undefined;
  #lastEnv = "";

  async init(factory: LuaFactory): Promise<this> {
    this.#sandbox = await createLuaSandbox(
      factory,
      (op, a, b) => this.#host(op, a, b),
      () => (this.#current?.interrupted() ? INTERRUPTED : undefined),
    );
    return this;
  }

  #host(op: string, a: unknown, b: unknown): string | undefined {
    const inv = this.#current;
    if (op === "emit") {
      inv?.emit(a === 2 ? "stderr" : "stdout", String(b));
      return undefined;
    }
    const files = this.#files;
    if (!files) return "!no step is running";
    const result = files.call(op, typeof a === "string" ? a : "", typeof b === "string" ? b : undefined);
    return result.ok ? result.value : `!${result.error}`;
  }

  async run(inv: StepInvocation): Promise<StepOutcome> {
    const sb = this.#sandbox;
    this.#current = inv;
    this.#files = new StepFiles(inv.files, inv.limits.workspaceBytes);
    try {
      let id = this.#compiled.get(inv.code);
      if (id === undefined) {
        id = this.#compiled.size + 1;
        const compiled = sb.compile(id, inv.code, `step:${inv.stepId}`);
        if (compiled !== "1") return this.#failure(compiled.slice(1), inv);
        this.#compiled.set(inv.code, id);
      }
      sb.setMemoryMax(sb.memoryUsed() + inv.limits.memoryBytes);
      const env = JSON.stringify(inv.env);
      const result = sb.invoke(
        id,
        inv.inputsJson,
        inv.attempt,
        inv.stepId,
        inv.runId,
        env === this.#lastEnv ? "" : env,
        ...contextArgs(inv.contextJson),
      );
      this.#lastEnv = env;
      const tag = result.charCodeAt(0);
      if (tag === 49) return { ok: true, outputJson: result.slice(1), files: this.#files.tree() };
      if (tag === 50)
        return {
          ok: false,
          error: { name: "InvalidResultError", message: `the Lua step returned ${result.slice(1)}` },
          files: this.#files.tree(),
        };
      return this.#failure(result.slice(1), inv);
    } finally {
      this.#current = undefined;
      this.#files = undefined;
    }
  }

  #failure(message: string, inv: StepInvocation): StepOutcome {
    const name = /not enough memory/.test(message)
      ? "MemoryLimitError"
      : message.includes("WorkspaceLimitError: ")
        ? "WorkspaceLimitError"
        : "StepRuntimeError";
    const text =
      name === "MemoryLimitError"
        ? `the Lua step used more than its memory limit of ${Math.round(inv.limits.memoryBytes / 1048576)} MB`
        : stepTraceback(message);
    return { ok: false, error: { name, message: text }, files: this.#files?.tree() ?? inv.files };
  }

  memoryBytes(): number {
    return this.#sandbox.engine.global.lua.module.HEAPU8.byteLength;
  }

  dispose(): void {
    this.#sandbox.close();
  }
}

/** Creates the Lua runtime factory: the wasm module is compiled once, states are cheap (about 1 ms). */
export function createLuaRuntimeFactory(options: LuaRuntimeFactoryOptions): LanguageRuntimeFactory {
  let factory: Promise<LuaFactory> | undefined;
  return {
    language: "lua",
    create: async () => {
      factory ??= options.createLuaFactory();
      return new LuaRuntime().init(await factory);
    },
  };
}
