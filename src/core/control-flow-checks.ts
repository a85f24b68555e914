/**
 * Validation and normalisation of the control-flow fields (issue 12): run params, and the
 * step fields `when`, `for_each`, `max_parallel`, `repeat`, `compensate`, `trigger_rule`.
 * Expressions are compiled here, so a bad one is an issue naming its step and field.
 */
import type { ValidationIssue } from "./errors.js";
import { compileExpression } from "./expressions.js";
import { formatPath } from "./format-path.js";
import { LANGUAGE_ALIASES, type Language } from "./languages.js";
import { paramValueProblem } from "./params.js";
import { PARAM_NAME_PATTERN, PARAM_TYPES, type ParamSpec, type StepSpec } from "./schema.js";
import type { ParamDefinition, StepDefinition } from "./workflow.js";

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** The control-flow fields of a step as the checks see them (well-formed or not). */
export interface LooseControlFlow {
  readonly when?: unknown;
  readonly for_each?: unknown;
  readonly max_parallel?: unknown;
  readonly repeat?: unknown;
  readonly compensate?: unknown;
}

/** Problems of a step's control-flow fields the schema cannot see (expressions, languages). */
export function controlFlowIssues(id: string, spec: LooseControlFlow, language: Language): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const at = (field: string) => formatPath(["steps", id, field]);
  for (const field of ["when", "for_each"] as const) {
    const source = spec[field];
    if (typeof source !== "string") continue;
    const compiled = compileExpression(source, "step");
    if (!compiled.ok) issues.push({ path: at(field), message: compiled.error });
  }
  const compensation = isObject(spec.compensate) ? spec.compensate.language : spec.compensate;
  const compensationLanguage =
    typeof compensation === "string" && isObject(spec.compensate) ? LANGUAGE_ALIASES[compensation] : language;
  if (spec.compensate !== undefined && compensationLanguage === "wasm")
    issues.push({
      path: at("compensate"),
      message: isObject(spec.compensate)
        ? "a compensation cannot be a wasm module; give python, lua, shell or javascript code"
        : "a wasm step's compensation needs its own language: { language, code }",
    });
  const until = isObject(spec.repeat) ? spec.repeat.until : undefined;
  if (typeof until === "string") {
    const compiled = compileExpression(until, "repeat");
    if (!compiled.ok)
      issues.push({ path: formatPath(["steps", id, "repeat", "until"]), message: compiled.error });
  }
  if (spec.max_parallel !== undefined && spec.for_each === undefined)
    issues.push({
      path: at("max_parallel"),
      message: "applies to for_each steps only; add for_each or remove it",
    });
  return issues;
}

/** Param names and defaults (a default must have its param's type). */
export function paramIssues(params: Readonly<Record<string, unknown>> | undefined): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  for (const [name, def] of Object.entries(params ?? {})) {
    if (name === "__proto__")
      issues.push({ path: formatPath(["params", name]), message: "'__proto__' cannot be a param name" });
    else if (!PARAM_NAME_PATTERN.test(name))
      issues.push({
        path: formatPath(["params", name]),
        message: `param name ${JSON.stringify(name)} must start with a letter or '_' and hold only letters, digits or '_' (at most 64)`,
      });
    if (!isObject(def) || def.default === undefined || typeof def.type !== "string") continue;
    if (!(PARAM_TYPES as readonly string[]).includes(def.type)) continue;
    const problem = paramValueProblem(def.type as ParamDefinition["type"], def.default);
    if (problem) issues.push({ path: formatPath(["params", name, "default"]), message: problem });
  }
  return issues;
}

/** The step definition's control-flow fields from a valid step. */
export function controlFlowFields(s: StepSpec, language: Language): Partial<StepDefinition> {
  return {
    ...(s.when !== undefined ? { when: s.when } : {}),
    ...(s.trigger_rule !== undefined ? { triggerRule: s.trigger_rule } : {}),
    ...(s.for_each !== undefined ? { forEach: s.for_each } : {}),
    ...(s.max_parallel !== undefined ? { maxParallel: s.max_parallel } : {}),
    ...(s.repeat !== undefined ? { repeat: { until: s.repeat.until, max: s.repeat.max } } : {}),
    ...(s.compensate !== undefined
      ? {
          compensate:
            typeof s.compensate === "string"
              ? { language, code: s.compensate }
              : { language: LANGUAGE_ALIASES[s.compensate.language] ?? language, code: s.compensate.code },
        }
      : {}),
  };
}

/** The params of a valid workflow, as its definition holds them. */
export function paramDefinitions(
  params: Readonly<Record<string, ParamSpec>>,
): Record<string, ParamDefinition> {
  const out = Object.create(null) as Record<string, ParamDefinition>;
  for (const [name, p] of Object.entries(params))
    out[name] = {
      type: p.type,
      ...(p.default !== undefined ? { default: p.default } : {}),
      ...(p.description !== undefined ? { description: p.description } : {}),
    };
  return out;
}
