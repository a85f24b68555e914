/**
 * The globals a JavaScript step sees besides the language's own, made through the QuickJS
 * C API once per memory image: `console` (lines to the step's stdout and
 * stderr) and `sandflow` (attempt, step_id, run_id, env, params, item, index, and readFile/writeFile/
 * removeFile/listFiles over the step's workspace, as the other languages have them).
 */
import type { QuickJSContext, QuickJSHandle, VmCallResult } from "quickjs-emscripten-core";
import type { StepInvocation } from "../worker/language-runtime.js";
import type { StepFiles } from "../worker/step-files.js";

/** One console argument as text: strings as they are, errors as `Name: message`, other values as JSON. */
function show(ctx: QuickJSContext, h: QuickJSHandle): string {
  const type = ctx.typeof(h);
  if (type === "string") return ctx.getString(h);
  if (type === "number") return String(ctx.getNumber(h));
  if (type !== "object") return type === "function" ? "[Function]" : String(ctx.dump(h));
  const value = ctx.dump(h) as unknown;
  if (value && typeof value === "object" && "message" in value && "name" in value && "stack" in value) {
    const e = value as { name: unknown; message: unknown };
    return `${String(e.name)}: ${String(e.message)}`;
  }
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** The text of a plain script's output: its last console.log line when that is JSON, else null. */
export function plainScriptOutput(lastLog: string | undefined): string {
  if (lastLog === undefined) return "null";
  const text = lastLog.trim();
  try {
    JSON.parse(text);
    return text;
  } catch {
    return "null";
  }
}

function setFunction(
  ctx: QuickJSContext,
  target: QuickJSHandle,
  name: string,
  fn: (...args: QuickJSHandle[]) => QuickJSHandle | VmCallResult<QuickJSHandle> | undefined,
): void {
  const h = ctx.newFunction(name, fn);
  ctx.setProp(target, name, h);
  h.dispose();
}

/** The step a template's globals serve while it runs. */
export interface CurrentStep {
  readonly inv: StepInvocation;
  readonly files: StepFiles;
  /** The last line console.log printed (a plain script's output). */
  lastLog: string | undefined;
}

/**
 * Installs `console` and `sandflow` in a context once, before its memory image is taken.
 * Their functions act for the step running at the time (`current`); the per-step members of
 * `sandflow` (attempt, step_id, run_id, env, params, item, index) are set by JS_BEGIN, and
 * made here in that order, before the functions, so every step sees the same key order.
 */
export function installGlobals(ctx: QuickJSContext, current: () => CurrentStep | undefined): QuickJSHandle {
  const line = (args: QuickJSHandle[]) => args.map((a) => show(ctx, a)).join(" ");
  const out = (...args: QuickJSHandle[]) => {
    const step = current();
    if (!step) return undefined;
    step.lastLog = line(args);
    step.inv.emit("stdout", `${step.lastLog}\n`);
    return undefined;
  };
  const err = (...args: QuickJSHandle[]) => {
    current()?.inv.emit("stderr", `${line(args)}\n`);
    return undefined;
  };
  const console = ctx.newObject();
  for (const name of ["log", "info", "debug", "trace"]) setFunction(ctx, console, name, out);
  for (const name of ["error", "warn"]) setFunction(ctx, console, name, err);
  ctx.setProp(ctx.global, "console", console);
  console.dispose();

  type Called = { readonly text: string; readonly error?: undefined } | { readonly error: QuickJSHandle };
  const call = (op: string, path: QuickJSHandle | undefined, data?: QuickJSHandle): Called => {
    const files = current()?.files;
    if (!files) return { error: ctx.newError("no step is running") };
    const rawPath = path === undefined || ctx.typeof(path) === "undefined" ? "" : show(ctx, path);
    const text = data === undefined ? (op === "write" ? "" : undefined) : show(ctx, data);
    const result = files.call(op, rawPath, text);
    if (!result.ok) return { error: ctx.newError(result.error) };
    return { text: result.value ?? "" };
  };
  const sandflow = ctx.newObject();
  for (const name of ["attempt", "step_id", "run_id", "env", "params", "item", "index"])
    ctx.setProp(sandflow, name, ctx.undefined);
  setFunction(ctx, sandflow, "readFile", (path) => {
    const r = call("read", path);
    return r.error ? { error: r.error } : ctx.newString(r.text);
  });
  setFunction(ctx, sandflow, "writeFile", (path, data) => {
    const r = call("write", path, data);
    return r.error ? { error: r.error } : undefined;
  });
  setFunction(ctx, sandflow, "removeFile", (path) => {
    const r = call("remove", path);
    return r.error ? { error: r.error } : undefined;
  });
  setFunction(ctx, sandflow, "listFiles", (dir) => {
    const r = call("list", dir);
    if (r.error) return { error: r.error };
    const names = JSON.parse(r.text) as string[];
    const array = ctx.newArray();
    names.forEach((name, i) => {
      const h = ctx.newString(name);
      ctx.setProp(array, i, h);
      h.dispose();
    });
    return array;
  });
  ctx.setProp(ctx.global, "sandflow", sandflow);
  return sandflow;
}
