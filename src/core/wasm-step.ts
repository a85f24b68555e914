/**
 * WebAssembly steps (`language: wasm`): a `module` (a path relative to the workflow file,
 * or an inline `data:application/wasm;base64,...` URL) and an optional exported `func`.
 * A loader reads the module; the step's code is then a small JSON text carrying the
 * module's bytes in base64, the way it crosses to the worker. Platform-free.
 */
import type { ValidationIssue } from "./errors.js";

/** The prefix of an inline module. */
export const WASM_DATA_URL = "data:application/wasm;base64,";

/** What a wasm step's code holds. */
export interface WasmStepCode {
  /** The module as the workflow names it (reported in the step's output). */
  readonly module: string;
  /** The export to call; undefined for a WASI command module (run through `_start`). */
  readonly func: string | undefined;
  /** WASI command modules: the arguments after the program name. */
  readonly args: readonly string[];
  /** The i32 passed to a `func` that takes one argument. */
  readonly input: number;
  /** The module's bytes, base64. */
  readonly base64: string;
}

/** The fields of a wasm step that travel in its code. */
export interface WasmStepFields {
  readonly module: string;
  readonly func?: string | undefined;
  readonly args?: readonly string[] | undefined;
  readonly input?: number | undefined;
}

/** The code of a wasm step whose module's bytes are known. */
export function wasmStepCode(step: WasmStepFields, base64: string): string {
  const { module, func, args, input } = step;
  return JSON.stringify({ module, func: func ?? null, args: args ?? [], input: input ?? 0, base64 });
}

/** The code of an inline (`data:`) module, or undefined when the module is a path a loader reads. */
export function inlineWasmStepCode(step: WasmStepFields): string | undefined {
  if (!step.module.startsWith(WASM_DATA_URL)) return undefined;
  return wasmStepCode({ ...step, module: "inline.wasm" }, step.module.slice(WASM_DATA_URL.length));
}

/** Reads a wasm step's code back; throws TypeError when it is not one. */
export function parseWasmStepCode(code: string): WasmStepCode {
  let value: unknown;
  try {
    value = JSON.parse(code);
  } catch {
    value = undefined;
  }
  const v = value as
    | { module?: unknown; func?: unknown; args?: unknown; input?: unknown; base64?: unknown }
    | undefined;
  if (
    !v ||
    typeof v.module !== "string" ||
    typeof v.base64 !== "string" ||
    (v.func !== null && typeof v.func !== "string") ||
    !Array.isArray(v.args) ||
    !v.args.every((a) => typeof a === "string") ||
    typeof v.input !== "number"
  ) {
    throw new TypeError("a wasm step's code must come from its 'module' (read by the workflow loader)");
  }
  return {
    module: v.module,
    func: (v.func as string | null) ?? undefined,
    args: v.args as string[],
    input: v.input,
    base64: v.base64,
  };
}

/** Problems of a step's `module`/`func`/`args` fields for its language. */
export function wasmStepIssues(
  at: (field?: string) => string,
  spec: { code?: unknown; file?: unknown; module?: string; func?: string; args?: unknown; input?: unknown },
  isWasm: boolean,
  pathProblem: (path: string) => string | undefined,
): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  if (!isWasm) {
    for (const field of ["module", "func", "args", "input"] as const) {
      if (spec[field] !== undefined)
        issues.push({ path: at(field), message: `'${field}' is for wasm steps (language: wasm)` });
    }
    return issues;
  }
  if (spec.code !== undefined || spec.file !== undefined)
    issues.push({ path: at(), message: "a wasm step takes 'module' (and 'func'), not 'code' or 'file'" });
  if (spec.module === undefined) {
    issues.push({ path: at(), message: "a wasm step needs 'module' (the path of its .wasm file)" });
  } else if (!spec.module.startsWith(WASM_DATA_URL)) {
    const problem = pathProblem(spec.module);
    if (problem) issues.push({ path: at("module"), message: `${JSON.stringify(spec.module)} ${problem}` });
  }
  if (spec.func !== undefined && !/^[^\0]{1,256}$/.test(spec.func))
    issues.push({ path: at("func"), message: "must be the name of an exported function" });
  if (spec.func === undefined && spec.input !== undefined)
    issues.push({ path: at("input"), message: "'input' is passed to 'func'; this step has none" });
  if (spec.func !== undefined && spec.args !== undefined)
    issues.push({ path: at("args"), message: "'args' is for WASI command modules (no 'func')" });
  return issues;
}
