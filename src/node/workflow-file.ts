/**
 * Reading workflow files in Node: size-checked, parsed by format, and the code of `file`
 * steps read from inside the workflow's folder only (no absolute paths, no `..`, no
 * symlink that leads out), since the workflow file is untrusted.
 */
import { readFile, realpath, stat } from "node:fs/promises";
import { dirname, extname, relative, resolve, sep } from "node:path";
import { type ValidationIssue, WorkflowLoadError, WorkflowValidationError } from "../core/errors.js";
import {
  DEFAULT_MAX_SOURCE_BYTES,
  type LuaWorkflowEvaluator,
  parseWorkflowSource,
  type WorkflowFormat,
} from "../core/loaders/parse-source.js";
import { err, ok, type Result } from "../core/result.js";
import type { StepDefinition, WorkflowDefinition } from "../core/workflow.js";
import { wasmModuleCode } from "./wasm-module-file.js";
import { createWorkerLuaEvaluator } from "./worker-lua-evaluator.js";

/** Options of {@link loadWorkflowFile}. */
export interface LoadWorkflowFileOptions {
  /** Evaluates Lua workflow files. Default: a shared evaluator with the default budgets. */
  readonly luaEvaluator?: LuaWorkflowEvaluator;
  /**
   * Default: from the file's extension (`.lua`, `.yaml`, `.yml` or `.json`); a file with
   * another extension or none is refused unless a format is given.
   */
  readonly format?: WorkflowFormat;
  /** Largest workflow file and largest step file, in bytes. Default: 1 MiB. */
  readonly maxBytes?: number;
}

let sharedEvaluator: LuaWorkflowEvaluator | undefined;
function defaultEvaluator(): LuaWorkflowEvaluator {
  sharedEvaluator ??= createWorkerLuaEvaluator();
  return sharedEvaluator;
}

async function readBounded(path: string, maxBytes: number, what: string): Promise<string> {
  const info = await stat(path);
  if (!info.isFile()) throw new WorkflowLoadError(`${what} ${path} is not a file`);
  if (info.size > maxBytes)
    throw new WorkflowLoadError(`${what} ${path} is ${info.size} bytes; the limit is ${maxBytes}`);
  return readFile(path, "utf8");
}

async function stepCode(
  folder: string,
  step: StepDefinition,
  maxBytes: number,
): Promise<Result<string, ValidationIssue>> {
  const path = `steps.${step.id}.file`;
  const target = resolve(folder, step.file as string);
  try {
    const real = await realpath(target);
    const rel = relative(folder, real);
    if (rel.startsWith(`..${sep}`) || rel === ".." || resolve(folder, rel) !== real) {
      return err({
        path,
        message: `${JSON.stringify(step.file)} leads outside the workflow's folder (through a symlink)`,
      });
    }
    return ok(await readBounded(real, maxBytes, "step file"));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const message = code === "ENOENT" ? "no such file" : (e as Error).message;
    return err({ path, message: `${JSON.stringify(step.file)}: ${message}` });
  }
}

const FORMAT_OF_EXTENSION: Readonly<Record<string, WorkflowFormat>> = {
  ".lua": "lua",
  ".yaml": "yaml",
  ".yml": "yaml",
  ".json": "json",
};

/** The format of a workflow file from its extension, or a message saying why there is none. */
function formatOf(path: string): Result<WorkflowFormat, WorkflowLoadError> {
  const ext = extname(path).toLowerCase();
  const format = FORMAT_OF_EXTENSION[ext];
  if (format) return ok(format);
  const what = ext ? `has the extension '${ext}'` : "has no extension";
  return err(
    new WorkflowLoadError(`${path} ${what}; workflow files are .lua, .yaml, .yml or .json (rename it)`),
  );
}

/** Reads, parses and validates a workflow file, and reads the code of its `file` steps. */
export async function loadWorkflowFile(
  path: string,
  options: LoadWorkflowFileOptions = {},
): Promise<Result<WorkflowDefinition, WorkflowLoadError | WorkflowValidationError>> {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_SOURCE_BYTES;
  if (
    await stat(path).then(
      (s) => s.isDirectory(),
      () => false,
    )
  )
    return err(
      new WorkflowLoadError(`${path} is a folder; give a workflow file (.lua, .yaml, .yml or .json)`),
    );
  const format = options.format ? ok(options.format) : formatOf(path);
  if (!format.ok) return format;
  let text: string;
  try {
    text = await readBounded(path, maxBytes, "workflow file");
  } catch (e) {
    if (e instanceof WorkflowLoadError) return err(e);
    const code = (e as NodeJS.ErrnoException).code;
    return err(
      new WorkflowLoadError(code === "ENOENT" ? `${path}: no such file` : `${path}: ${(e as Error).message}`),
    );
  }
  const folder = dirname(resolve(path));
  const luaEvaluator = options.luaEvaluator ?? defaultEvaluator();
  const parsed = await parseWorkflowSource(text, {
    source: path,
    luaEvaluator,
    maxBytes,
    format: format.value,
    readWorkflow: (key) => readSubworkflow(folder, key, luaEvaluator, maxBytes),
  });
  if (!parsed.ok) return parsed;
  const top = await readStepFiles(parsed.value, folder, maxBytes, path);
  if (!top.ok || !top.value.subworkflows) return top;
  const subworkflows = Object.create(null) as Record<string, WorkflowDefinition>;
  for (const [key, child] of Object.entries(top.value.subworkflows)) {
    const read = await readStepFiles(child, dirname(resolve(folder, key)), maxBytes, `${path}: ${key}`);
    if (!read.ok) return read;
    subworkflows[key] = read.value;
  }
  return ok({ ...top.value, subworkflows });
}

/**
 * The sub-workflow at `key` (a path from the top workflow's folder), read from inside that
 * folder only (not through a symlink either), in the format its extension gives.
 */
async function readSubworkflow(
  folder: string,
  key: string,
  luaEvaluator: LuaWorkflowEvaluator,
  maxBytes: number,
): Promise<Result<WorkflowDefinition, WorkflowLoadError | WorkflowValidationError>> {
  const format = formatOf(key);
  if (!format.ok) return format;
  let text: string;
  let real: string;
  try {
    const root = await realpath(folder);
    real = await realpath(resolve(root, key));
    const rel = relative(root, real);
    if (rel.startsWith(`..${sep}`) || rel === ".." || resolve(root, rel) !== real)
      return err(new WorkflowLoadError("it leads outside the workflow's folder (through a symlink)"));
    text = await readBounded(real, maxBytes, "workflow file");
  } catch (e) {
    if (e instanceof WorkflowLoadError) return err(e);
    const code = (e as NodeJS.ErrnoException).code;
    return err(new WorkflowLoadError(code === "ENOENT" ? "no such file" : (e as Error).message));
  }
  return parseWorkflowSource(text, { source: real, luaEvaluator, maxBytes, format: format.value, at: key });
}

/** Whether a step's code is in a file still to be read (a `file` step, a wasm `module`). */
export function readsFiles(step: StepDefinition): boolean {
  return step.file !== undefined || (step.language === "wasm" && step.code === undefined);
}

/**
 * Reads the code of a workflow's `file` steps and wasm modules from `folder` (never outside
 * it, also not through a symlink).
 */
export async function readStepFiles(
  workflow: WorkflowDefinition,
  folder: string,
  maxBytes: number = DEFAULT_MAX_SOURCE_BYTES,
  source?: string,
  /** Modules may also be found in the current directory (as workflow files allow); false for the server. */
  cwdFallback = true,
): Promise<Result<WorkflowDefinition, WorkflowValidationError>> {
  const real = await realpath(folder);
  const issues: ValidationIssue[] = [];
  const steps: StepDefinition[] = [];
  for (const step of workflow.steps) {
    if (!readsFiles(step)) {
      steps.push(step);
      continue;
    }
    const code =
      step.language === "wasm"
        ? await wasmModuleCode(real, step, { cwdFallback })
        : await stepCode(real, step, maxBytes);
    if (code.ok) steps.push({ ...step, code: code.value });
    else issues.push(code.error);
  }
  if (issues.length > 0) return err(new WorkflowValidationError(issues, source));
  return ok({ ...workflow, steps });
}
