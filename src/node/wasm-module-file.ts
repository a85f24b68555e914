/**
 * Reads the module of a wasm step in Node. The path is resolved against the workflow
 * file's folder and then, as the older hybrid engine did (its examples name
 * `workflows/example_wasm_module.wasm` from the repository root), against the current
 * directory; either way the file must stay inside that folder (no symlink out).
 */
import { readFile, realpath, stat } from "node:fs/promises";
import { relative, resolve, sep } from "node:path";
import type { ValidationIssue } from "../core/errors.js";
import { err, ok, type Result } from "../core/result.js";
import { wasmStepCode } from "../core/wasm-step.js";
import type { StepDefinition } from "../core/workflow.js";

/** Largest module a wasm step may name. */
export const MAX_WASM_MODULE_BYTES = 64 * 1024 * 1024;

async function inside(folder: string, path: string): Promise<string | undefined> {
  let real: string;
  try {
    real = await realpath(resolve(folder, path));
  } catch {
    return undefined;
  }
  const rel = relative(folder, real);
  if (rel.startsWith(`..${sep}`) || rel === ".." || resolve(folder, rel) !== real) return undefined;
  return real;
}

/** The step's code carrying its module's bytes, or an issue naming what is wrong. */
export async function wasmModuleCode(
  folder: string,
  step: StepDefinition,
  options: { cwdFallback?: boolean } = {},
): Promise<Result<string, ValidationIssue>> {
  const path = `steps.${step.id}.module`;
  const module = step.module as string;
  const cwd = await realpath(process.cwd());
  const found =
    (await inside(folder, module)) ?? (options.cwdFallback === false ? undefined : await inside(cwd, module));
  if (!found) {
    return err({
      path,
      message: `${JSON.stringify(module)}: no such file inside the workflow's folder (${folder}) or the current directory`,
    });
  }
  const info = await stat(found);
  if (!info.isFile()) return err({ path, message: `${JSON.stringify(module)} is not a file` });
  if (info.size > MAX_WASM_MODULE_BYTES)
    return err({
      path,
      message: `${JSON.stringify(module)} is ${info.size} bytes; the limit is ${MAX_WASM_MODULE_BYTES}`,
    });
  const bytes = await readFile(found);
  return ok(wasmStepCode({ ...step, module }, bytes.toString("base64")));
}
