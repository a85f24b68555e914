/**
 * Run params: the values a run is given (`--param`, `--params`, `RunOptions.params`, the
 * API's `params`) checked against the workflow's declarations and completed with defaults.
 */
import { InvalidParamsError, type ValidationIssue } from "./errors.js";
import { MAX_JSON_DEPTH, nestedDeeperThan } from "./json-depth.js";
import { err, ok, type Result } from "./result.js";
import type { ParamDefinition, WorkflowDefinition } from "./workflow.js";

/** Why `value` is not of the param type `type`, or `undefined` when it is. */
export function paramTypeProblem(type: ParamDefinition["type"], value: unknown): string | undefined {
  const got =
    value === null
      ? "null"
      : Array.isArray(value)
        ? "an array"
        : typeof value === "object"
          ? "an object"
          : `${typeof value} ${JSON.stringify(value)}`;
  switch (type) {
    case "string":
      return typeof value === "string" ? undefined : `must be a string, got ${got}`;
    case "number":
      return typeof value === "number" && Number.isFinite(value) ? undefined : `must be a number, got ${got}`;
    case "integer":
      return Number.isSafeInteger(value) ? undefined : `must be an integer, got ${got}`;
    case "boolean":
      return typeof value === "boolean" ? undefined : `must be true or false, got ${got}`;
    case "object":
      return typeof value === "object" && value !== null && !Array.isArray(value)
        ? undefined
        : `must be an object, got ${got}`;
    case "array":
      return Array.isArray(value) ? undefined : `must be an array, got ${got}`;
  }
}

/** Why `value` cannot be a value of a param of type `type` (its type, or nested too deep), or `undefined`. */
export function paramValueProblem(type: ParamDefinition["type"], value: unknown): string | undefined {
  return (
    paramTypeProblem(type, value) ??
    (nestedDeeperThan(value) ? `is nested deeper than ${MAX_JSON_DEPTH} levels` : undefined)
  );
}

/**
 * The params of a run of `workflow`: `given` checked (no unknown name, every value of its
 * declared type, every param without a default given) and completed with the defaults.
 */
export function resolveParams(
  workflow: WorkflowDefinition,
  given: Readonly<Record<string, unknown>> = {},
): Result<Record<string, unknown>, InvalidParamsError> {
  const defs = workflow.params ?? {};
  const issues: ValidationIssue[] = [];
  const out = Object.create(null) as Record<string, unknown>;
  const names = Object.keys(defs);
  for (const name of Object.keys(given)) {
    if (!Object.hasOwn(defs, name))
      issues.push({
        path: `params.${name}`,
        message: `unknown param '${name}'; the workflow '${workflow.name}' declares ${names.length === 0 ? "none" : names.join(", ")}`,
      });
  }
  for (const name of names) {
    const def = defs[name] as ParamDefinition;
    const value = Object.hasOwn(given, name) ? given[name] : def.default;
    if (value === undefined) {
      issues.push({
        path: `params.${name}`,
        message: `missing: the param '${name}' (${def.type}) has no default`,
      });
      continue;
    }
    const problem = paramValueProblem(def.type, value);
    if (problem) issues.push({ path: `params.${name}`, message: `the param '${name}' ${problem}` });
    else out[name] = value;
  }
  return issues.length > 0 ? err(new InvalidParamsError(issues)) : ok(out);
}

/**
 * Params from the command line: `name=value` pairs (the value parsed as JSON when it
 * parses, else taken as a string), over those of a `--params` JSON object.
 * @returns the params, or a message naming what is malformed.
 */
export function parseParamArguments(
  pairs: readonly string[] = [],
  json?: string,
): Result<Record<string, unknown>, string> {
  const base: Record<string, unknown> = Object.create(null);
  if (json !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(json);
    } catch (e) {
      return err(`--params must be a JSON object: ${(e as Error).message}`);
    }
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed))
      return err("--params must be a JSON object of param names to values");
    // Kept free of zod (own-record.ts): `run --server` loads this module at start.
    for (const [name, value] of Object.entries(parsed)) base[name] = value;
  }
  for (const pair of pairs) {
    const eq = pair.indexOf("=");
    if (eq <= 0) return err(`--param ${JSON.stringify(pair)} must be name=value`);
    const text = pair.slice(eq + 1);
    let value: unknown = text;
    try {
      value = JSON.parse(text);
    } catch {
      // Not JSON: the text itself, as the issue's contract says.
    }
    base[pair.slice(0, eq)] = value;
  }
  return ok(base);
}
