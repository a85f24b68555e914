/**
 * Workflow files as text (Lua, YAML or JSON) to a validated {@link WorkflowDefinition}.
 * Platform-free: reading files and evaluating Lua are passed in.
 */
import { parseDocument } from "yaml";
import { type ValidationIssue, WorkflowLoadError, WorkflowValidationError } from "../errors.js";
import { err, ok, type Result } from "../result.js";
import { completeSubworkflows, type SubworkflowReader } from "../subworkflows.js";
import { parseWorkflow } from "../validate.js";
import type { WorkflowDefinition } from "../workflow.js";
import { duplicateLuaStepIds } from "./lua-duplicate-keys.js";

/** The text formats of workflow files. */
export type WorkflowFormat = "lua" | "yaml" | "json";

/** Evaluates a Lua workflow file in a sandbox and returns its `workflow` table as plain data. */
export interface LuaWorkflowEvaluator {
  evaluate(source: string, label: string): Promise<Result<unknown, WorkflowLoadError>>;
}

/** Options of {@link parseWorkflowSource}. */
export interface ParseSourceOptions {
  /** The format; default: from `source`'s extension, else detected from the text. */
  readonly format?: WorkflowFormat;
  /** File name or label, for messages and format detection. Default: none. */
  readonly source?: string;
  /** Needed for Lua files. */
  readonly luaEvaluator?: LuaWorkflowEvaluator;
  /** Largest accepted file, in bytes. Default: 1 MiB. */
  readonly maxBytes?: number;
  /** Workflow name when the file gives none. Default: the file's base name. */
  readonly fallbackName?: string;
  /**
   * Reads the sub-workflows its steps name that it does not hold under `workflows`
   * (Node: from the workflow's folder). Default: none, so such a step is a validation issue.
   */
  readonly readWorkflow?: SubworkflowReader;
  /**
   * The key of a sub-workflow being read (its path from the top workflow's folder): it is
   * parsed as a child, and its own sub-workflows are left to the top one. Default: the top workflow.
   */
  readonly at?: string;
}

/** Most YAML aliases a workflow file may use (stops "billion laughs" alias bombs). */
export const MAX_YAML_ALIASES = 100;
/** Default largest workflow file. */
export const DEFAULT_MAX_SOURCE_BYTES = 1024 * 1024;

/** The format of a workflow file, from its name or else from its text. */
export function detectFormat(text: string, name?: string): WorkflowFormat {
  const ext = name?.toLowerCase().match(/\.([a-z]+)$/)?.[1];
  if (ext === "lua") return "lua";
  if (ext === "json") return "json";
  if (ext === "yaml" || ext === "yml") return "yaml";
  const body = text.replace(/^(\s|--[^\n]*\n|#[^\n]*\n)*/, "");
  if (body.startsWith("{") || body.startsWith("[")) return "json";
  // Column 0 only: Lua code inside a YAML block scalar is indented.
  if (/^(local\s+)?workflow\s*=/m.test(text) || /^return\s*\{/m.test(text)) return "lua";
  return "yaml";
}

function baseName(name: string | undefined): string | undefined {
  return name
    ?.split(/[\\/]/)
    .pop()
    ?.replace(/\.(lua|ya?ml|json)$/i, "");
}

function lineCol(text: string, offset: number): string {
  const before = text.slice(0, offset);
  const line = before.split("\n").length;
  return `line ${line}, column ${offset - before.lastIndexOf("\n")}`;
}

type Loaded = Result<unknown, WorkflowLoadError | WorkflowValidationError>;

/** What a parser that ran out of stack says (V8's RangeError, or its regex engine's). */
const OUT_OF_STACK = /Maximum call stack size exceeded|Stack overflow/;

function tooDeep(label: string): WorkflowLoadError {
  return new WorkflowLoadError(
    `${label}: nested too deeply to read (lists or maps inside each other, hundreds of levels deep)`,
  );
}

function parseYamlLike(text: string, label: string, json: boolean): Loaded {
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: false, strict: true, version: "1.2" });
  if (doc.errors.some((e) => OUT_OF_STACK.test(e.message))) return err(tooDeep(label));
  const dupes: ValidationIssue[] = [];
  const errors: string[] = [];
  for (const e of doc.errors) {
    const where = lineCol(text, e.pos[0]);
    if (e.code === "DUPLICATE_KEY") {
      const token = /^("(?:[^"\\]|\\.)*"|'[^']*'|[^:\s,{}[\]]+)/.exec(text.slice(e.pos[0]))?.[0] ?? "?";
      const key = token.replace(/^["']|["']$/g, "");
      dupes.push({ path: "", message: `duplicate key '${key}' at ${where}` });
    } else errors.push(`${e.message.split("\n")[0]} (${where})`);
  }
  if (errors.length > 0) {
    return err(new WorkflowLoadError(`${label}: not valid ${json ? "JSON" : "YAML"}: ${errors.join("; ")}`));
  }
  if (dupes.length > 0) return err(new WorkflowValidationError(dupes, label));
  try {
    return ok(doc.toJS({ maxAliasCount: MAX_YAML_ALIASES }));
  } catch (e) {
    const message = (e as Error).message;
    if (OUT_OF_STACK.test(message)) return err(tooDeep(label));
    return err(new WorkflowLoadError(`${label}: ${message} (aliases are limited to ${MAX_YAML_ALIASES})`));
  }
}

function parseJson(text: string, label: string): Loaded {
  try {
    JSON.parse(text);
  } catch (e) {
    const msg = (e as Error).message;
    const pos = /position (\d+)/.exec(msg)?.[1];
    return err(
      new WorkflowLoadError(
        `${label}: not valid JSON: ${msg}${pos ? ` (${lineCol(text, Number(pos))})` : ""}`,
      ),
    );
  }
  // JSON.parse keeps the last of duplicate keys silently; the YAML parser reports them.
  return parseYamlLike(text, label, true);
}

/** Parses and validates the text of a workflow file (a leading byte-order mark is ignored). */
export async function parseWorkflowSource(
  source: string,
  options: ParseSourceOptions = {},
): Promise<Result<WorkflowDefinition, WorkflowLoadError | WorkflowValidationError>> {
  // Editors on Windows start UTF-8 files with a BOM; no format means anything by it.
  const text = source.charCodeAt(0) === 0xfeff ? source.slice(1) : source;
  const label = options.source ?? "workflow";
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_SOURCE_BYTES;
  if (text.length > maxBytes) {
    return err(
      new WorkflowLoadError(
        `${label}: the file is ${text.length} bytes; workflow files are limited to ${maxBytes} bytes`,
      ),
    );
  }
  const format = options.format ?? detectFormat(text, options.source);
  let loaded: Loaded;
  if (format === "lua") {
    if (!options.luaEvaluator)
      throw new Error("parseWorkflowSource: Lua workflow files need options.luaEvaluator");
    const dupes = duplicateLuaStepIds(text);
    if (dupes.length > 0) return err(new WorkflowValidationError(dupes, options.source));
    loaded = await options.luaEvaluator.evaluate(text, label);
  } else loaded = format === "json" ? parseJson(text, label) : parseYamlLike(text, label, false);
  if (!loaded.ok) return loaded;
  const fallbackName = options.fallbackName ?? baseName(options.source);
  const parsed = parseWorkflow(loaded.value, {
    ...(options.source ? { source: options.source } : {}),
    ...(fallbackName ? { fallbackName } : {}),
    ...(options.at !== undefined ? { at: options.at } : {}),
  });
  if (!parsed.ok || options.at !== undefined) return parsed;
  return completeSubworkflows(parsed.value, options.readWorkflow);
}
