/**
 * The globals a JavaScript step sees besides the language's own, made through the QuickJS
 * C API (no source to compile per step): `console` (lines to the step's stdout and
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

/**
 * Sets `sandflow.params` (`{}` when the run has none) and, in a for-each step,
 * `sandflow.item` and `sandflow.index`, parsed by the context's own (still pristine) JSON.
 */
function installContext(ctx: QuickJSContext, sandflow: QuickJSHandle, contextJson: string | undefined): void {
  const text = ctx.newString(contextJson ?? '{"params":{}}');
  const json = ctx.getProp(ctx.global, "JSON");
  const parse = ctx.getProp(json, "parse");
  const parsed = ctx.callFunction(parse, json, text);
  for (const h of [text, json, parse]) h.dispose();
  const context = ctx.unwrapResult(parsed);
  for (const name of ["params", "item", "index"]) {
    const h = ctx.getProp(context, name);
    if (ctx.typeof(h) !== "undefined") ctx.setProp(sandflow, name, h);
    h.dispose();
  }
  context.dispose();
}

/**
 * Installs `console` and `sandflow` in a fresh context for one step.
 * @returns a function giving the last line console.log printed (for a plain script's output).
 */
export function installGlobals(
  ctx: QuickJSContext,
  inv: StepInvocation,
  files: StepFiles,
): () => string | undefined {
  let lastLog: string | undefined;
  const line = (args: QuickJSHandle[]) => args.map((a) => show(ctx, a)).join(" ");
  const out = (...args: QuickJSHandle[]) => {
    lastLog = line(args);
    inv.emit("stdout", `${lastLog}\n`);
    return undefined;
  };
  const err = (...args: QuickJSHandle[]) => {
    inv.emit("stderr", `${line(args)}\n`);
    return undefined;
  };
  const console = ctx.newObject();
  for (const name of ["log", "info", "debug", "trace"]) setFunction(ctx, console, name, out);
  for (const name of ["error", "warn"]) setFunction(ctx, console, name, err);
  ctx.setProp(ctx.global, "console", console);
  console.dispose();

  type Called = { readonly text: string; readonly error?: undefined } | { readonly error: QuickJSHandle };
  const call = (op: string, path: QuickJSHandle | undefined, data?: QuickJSHandle): Called => {
    const rawPath = path === undefined || ctx.typeof(path) === "undefined" ? "" : show(ctx, path);
    const text = data === undefined ? (op === "write" ? "" : undefined) : show(ctx, data);
    const result = files.call(op, rawPath, text);
    if (!result.ok) return { error: ctx.newError(result.error) };
    return { text: result.value ?? "" };
  };
  const sandflow = ctx.newObject();
  const set = (name: string, h: QuickJSHandle) => {
    ctx.setProp(sandflow, name, h);
    h.dispose();
  };
  set("attempt", ctx.newNumber(inv.attempt));
  set("step_id", ctx.newString(inv.stepId));
  set("run_id", ctx.newString(inv.runId));
  const env = ctx.newObject();
  for (const [k, v] of Object.entries(inv.env)) {
    const h = ctx.newString(v);
    ctx.setProp(env, k, h);
    h.dispose();
  }
  set("env", env);
  installContext(ctx, sandflow, inv.contextJson);
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
  sandflow.dispose();
  return () => lastLog;
}
