/**
 * WebAssembly steps: a module the workflow names, compiled once per worker (by the hash
 * of the step's code) with its memory capped at the step's limit, instantiated fresh for
 * every step. With `func`, that export is called (no argument, or the step's i32 `input`)
 * and its return code reported as the older hybrid engine did; without, the module is a
 * WASI command run through `_start` on browser_wasi_shim (never node:wasi, which Node
 * documents as no sandbox), with the inputs JSON on stdin and the step's /tmp and
 * /workspace preopened. A module may import nothing but wasi_snapshot_preview1 functions.
 * A runaway module cannot be interrupted from inside: the host's watchdog replaces the
 * worker when its timeout passes.
 */
import { ConsoleStdout, File, OpenFile, PreopenDirectory, WASI } from "@bjorn3/browser_wasi_shim";
import { parseWasmStepCode, type WasmStepCode } from "../../src/core/wasm-step.js";
import { stepResult } from "../shell/step-contract.js";
import type {
  LanguageRuntime,
  LanguageRuntimeFactory,
  StepFailure,
  StepInvocation,
  StepOutcome,
} from "../worker/language-runtime.js";
import { guardWasiImports, WasiStop } from "./wasi-guard.js";
import { directoriesToTree, treeToDirectories } from "./wasi-tree.js";
import { capWasmMemory, WasmModuleProblem } from "./wasm-memory-cap.js";

/** Compiled modules a worker keeps (by code hash and memory limit). */
const MODULE_CACHE = 16;
/** A return code above this fails the step, as in the older engine. */
const MAX_OK_RETURN_CODE = 10;

function fail(name: string, message: string): { ok: false; error: StepFailure } {
  return { ok: false, error: { name, message } };
}

function fromBase64(text: string): Uint8Array {
  const binary = atob(text);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

/** How the older engine summarised each input: `array[3]`, `object[2]`, `string[5]`, `number[7]`, `bool[true]`, `null`. */
function summary(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return `array[${value.length}]`;
  switch (typeof value) {
    case "string":
      return `string[${new TextEncoder().encode(value).length}]`;
    case "number":
      return `number[${String(value)}]`;
    case "boolean":
      return `bool[${String(value)}]`;
    default:
      return `object[${Object.keys(value as object).length}]`;
  }
}

/** Every import must be a wasi_snapshot_preview1 function; the first one that is not, described. */
function forbiddenImport(module: WebAssembly.Module): string | undefined {
  for (const imp of WebAssembly.Module.imports(module)) {
    if (imp.module !== "wasi_snapshot_preview1" || imp.kind !== "function")
      return `${imp.kind} ${imp.module}.${imp.name}`;
  }
  return undefined;
}

/** The instance, or the failure of a module that cannot be linked or whose start function traps. */
function instantiate(
  module: WebAssembly.Module,
  imports: WebAssembly.ModuleImports,
  code: WasmStepCode,
): WebAssembly.Instance | StepOutcome {
  try {
    return new WebAssembly.Instance(module, { wasi_snapshot_preview1: imports });
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    return fail("StepRuntimeError", `the wasm module ${code.module} cannot be instantiated: ${message}`);
  }
}

class WasmRuntime implements LanguageRuntime {
  readonly #compiled: Map<string, WebAssembly.Module>;

  constructor(compiled: Map<string, WebAssembly.Module>) {
    this.#compiled = compiled;
  }

  #module(code: WasmStepCode, key: string, memoryBytes: number): WebAssembly.Module {
    const cacheKey = `${key}:${memoryBytes}`;
    let module = this.#compiled.get(cacheKey);
    if (!module) {
      module = new WebAssembly.Module(
        capWasmMemory(fromBase64(code.base64), memoryBytes) as Uint8Array<ArrayBuffer>,
      );
      if (this.#compiled.size >= MODULE_CACHE) {
        const oldest = this.#compiled.keys().next().value;
        if (oldest !== undefined) this.#compiled.delete(oldest);
      }
      this.#compiled.set(cacheKey, module);
    }
    return module;
  }

  async run(inv: StepInvocation): Promise<StepOutcome> {
    let code: WasmStepCode;
    let module: WebAssembly.Module;
    try {
      code = parseWasmStepCode(inv.code);
      module = this.#module(code, inv.codeHash, inv.limits.memoryBytes);
    } catch (e) {
      if (e instanceof WasmModuleProblem && e.kind === "memory") return fail("MemoryLimitError", e.message);
      const message = e instanceof Error ? e.message : String(e);
      return fail("StepRuntimeError", `the wasm module cannot be used: ${message}`);
    }
    const forbidden = forbiddenImport(module);
    if (forbidden) {
      return fail(
        "StepRuntimeError",
        `the wasm module ${code.module} imports ${forbidden}; a wasm step may import only wasi_snapshot_preview1 functions`,
      );
    }
    return code.func === undefined
      ? this.#command(code, module, inv)
      : this.#call(code, code.func, module, inv);
  }

  #wasi(code: WasmStepCode, inv: StepInvocation, out: { stdout: string[]; stderr: string[] }) {
    const roots = treeToDirectories(inv.files);
    const stream = (name: "stdout" | "stderr") => {
      const decoder = new TextDecoder();
      return new ConsoleStdout((bytes) => {
        const text = decoder.decode(bytes, { stream: true });
        out[name].push(text);
        inv.emit(name, text);
      });
    };
    const program = code.module.split("/").pop() ?? "module.wasm";
    const wasi = new WASI(
      [program, ...code.args],
      Object.entries(inv.env).map(([k, v]) => `${k}=${v}`),
      [
        new OpenFile(new File(new TextEncoder().encode(inv.inputsJson), { readonly: true })),
        stream("stdout"),
        stream("stderr"),
        new PreopenDirectory("/tmp", roots.tmp),
        new PreopenDirectory("/workspace", roots.workspace),
      ],
    );
    const memory = () =>
      (wasi as unknown as { inst?: WebAssembly.Instance }).inst?.exports.memory as
        | WebAssembly.Memory
        | undefined;
    const imports = guardWasiImports(
      wasi.wasiImport as Record<string, (...args: number[]) => unknown>,
      inv,
      roots,
      memory,
    );
    return { wasi, roots, imports };
  }

  #trap(e: unknown, what: string, memory: WebAssembly.Memory | undefined, inv: StepInvocation): StepOutcome {
    if (e instanceof WasiStop) return { ok: false, error: e.failure };
    const message = e instanceof Error ? e.message : String(e);
    const full = memory !== undefined && memory.buffer.byteLength + 65536 > inv.limits.memoryBytes;
    if (full && /unreachable|out of bounds|memory/i.test(message)) {
      const mb = Math.round(inv.limits.memoryBytes / 1048576);
      return fail(
        "MemoryLimitError",
        `${what} trapped with its memory at the step's limit of ${mb} MB: ${message}`,
      );
    }
    return fail("StepRuntimeError", `${what} trapped: ${message}`);
  }

  #command(code: WasmStepCode, module: WebAssembly.Module, inv: StepInvocation): StepOutcome {
    const out = { stdout: [] as string[], stderr: [] as string[] };
    const { wasi, roots, imports } = this.#wasi(code, inv, out);
    const instance = instantiate(module, imports, code);
    if (!(instance instanceof WebAssembly.Instance)) return instance;
    if (typeof instance.exports._start !== "function") {
      return fail(
        "StepRuntimeError",
        `the wasm module ${code.module} exports no _start: name the function to call with 'func'`,
      );
    }
    const memory =
      instance.exports.memory instanceof WebAssembly.Memory ? instance.exports.memory : undefined;
    let exitCode: number;
    try {
      exitCode = wasi.start(instance as { exports: { memory: WebAssembly.Memory; _start: () => unknown } });
    } catch (e) {
      return { ...this.#trap(e, `the WASI module ${code.module}`, memory, inv), files: inv.files };
    }
    const files = directoriesToTree(roots);
    const result = stepResult(out.stdout.join(""), out.stderr.join(""), exitCode);
    if (!result.ok) {
      return fail(
        result.error.name,
        result.error.message.replace(/^shell step/, `the WASI module ${code.module}`),
      );
    }
    return { ok: true, outputJson: result.outputJson, files };
  }

  #call(code: WasmStepCode, func: string, module: WebAssembly.Module, inv: StepInvocation): StepOutcome {
    const { wasi, imports } = this.#wasi(code, inv, { stdout: [], stderr: [] });
    const instance = instantiate(module, imports, code);
    if (!(instance instanceof WebAssembly.Instance)) return instance;
    const fn = instance.exports[func];
    if (typeof fn !== "function") {
      const names = Object.keys(instance.exports).filter((k) => typeof instance.exports[k] === "function");
      return fail(
        "StepRuntimeError",
        `the wasm module ${code.module} exports no function '${func}' (its functions: ${names.join(", ") || "none"})`,
      );
    }
    const memory =
      instance.exports.memory instanceof WebAssembly.Memory ? instance.exports.memory : undefined;
    if (memory) wasi.initialize(instance as { exports: { memory: WebAssembly.Memory } });
    const call = fn as (...args: number[]) => unknown;
    if (call.length > 1) {
      return fail(
        "StepRuntimeError",
        `the wasm function '${func}' takes ${call.length} arguments; a wasm step's function takes none or one i32 ('input')`,
      );
    }
    let returned: unknown;
    try {
      returned = call.length === 1 ? call(code.input) : call();
    } catch (e) {
      return this.#trap(e, `the wasm function '${func}'`, memory, inv);
    }
    const returnCode =
      typeof returned === "number" ? returned : typeof returned === "bigint" ? Number(returned) : 0;
    if (returnCode > MAX_OK_RETURN_CODE) {
      return fail("StepRuntimeError", `the wasm function '${func}' failed with return code ${returnCode}`);
    }
    const inputs = JSON.parse(inv.inputsJson) as Record<string, unknown>;
    const ids = Object.keys(inputs);
    const output: Record<string, unknown> = {
      wasm_execution: {
        module: code.module,
        function: func,
        return_code: returnCode,
        status: returnCode === 0 ? "success" : "error",
        input_count: ids.length,
      },
    };
    if (ids.length > 0) output.input_summary = Object.fromEntries(ids.map((id) => [id, summary(inputs[id])]));
    return { ok: true, outputJson: JSON.stringify(output), files: inv.files };
  }

  memoryBytes(): number {
    return 0; // instances live for one step; their memories are garbage once it ends
  }

  dispose(): void {}
}

/** Creates the wasm step runtime factory: compiled modules are shared by its instances. */
export function createWasmRuntimeFactory(): LanguageRuntimeFactory {
  const compiled = new Map<string, WebAssembly.Module>();
  return {
    language: "wasm",
    create: async () => new WasmRuntime(compiled),
  };
}
