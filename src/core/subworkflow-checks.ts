/**
 * Validation of sub-workflow steps (`workflow` with its `params`): a step that runs a
 * workflow runs no code, so no field of code comes with it, and its params are CEL
 * expressions compiled here. Also the key of a child: its path from the top workflow's
 * folder, whichever workflow names it.
 */
import type { ValidationIssue } from "./errors.js";
import { compileExpression } from "./expressions.js";
import { formatPath } from "./format-path.js";
import { PARAM_NAME_PATTERN, type StepSpec } from "./schema.js";
import { CODE_OF_STEP, WAIT_FIELDS } from "./wait-checks.js";
import type { SubworkflowCall } from "./workflow.js";

/** Deepest nesting of sub-workflows: a run whose ancestors are this many fails its sub-workflow step. */
export const MAX_SUBWORKFLOW_DEPTH = 8;

/** The sub-workflow fields of a step as written (well-formed or not). */
export interface LooseSubworkflow {
  readonly workflow?: unknown;
  readonly params?: unknown;
  readonly for_each?: unknown;
}

/** Fields of code, or of how code runs: none applies to a step that runs a workflow. */
const CODE_FIELDS = [
  ...CODE_OF_STEP,
  ...["memory", "timeout", "env", "secrets", "allow", "cache", "repeat", "compensate"],
  ...WAIT_FIELDS,
];

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * Problems of a step's `workflow` and `params` fields (empty for a step without them).
 * `pathProblem` checks the path as the `file` field's is checked.
 */
export function subworkflowIssues(
  id: string,
  spec: LooseSubworkflow & Readonly<Record<string, unknown>>,
  pathProblem: (path: string) => string | undefined,
): ValidationIssue[] {
  const at = (...path: PropertyKey[]) => formatPath(["steps", id, ...path]);
  if (spec.workflow === undefined)
    return spec.params === undefined
      ? []
      : [
          {
            path: at("params"),
            message: "applies to steps that run a workflow; add 'workflow' or remove it",
          },
        ];
  const issues: ValidationIssue[] = [];
  for (const field of CODE_FIELDS)
    if (spec[field] !== undefined)
      issues.push({
        path: at(field),
        message: `a step that runs a workflow runs no code of its own, so '${field}' does not apply; remove it`,
      });
  if (typeof spec.workflow === "string") {
    const problem = pathProblem(spec.workflow);
    if (problem)
      issues.push({ path: at("workflow"), message: `${JSON.stringify(spec.workflow)} ${problem}` });
  }
  if (!isObject(spec.params)) return issues;
  const scope = spec.for_each === undefined ? "step" : "item";
  for (const [name, source] of Object.entries(spec.params)) {
    if (name === "__proto__" || !PARAM_NAME_PATTERN.test(name))
      issues.push({
        path: at("params", name),
        message: `param name ${JSON.stringify(name)} must start with a letter or '_' and hold only letters, digits or '_' (at most 64)`,
      });
    if (typeof source !== "string") continue;
    const compiled = compileExpression(source, scope);
    if (!compiled.ok) issues.push({ path: at("params", name), message: compiled.error });
  }
  return issues;
}

/** Whether the step runs a workflow instead of code. */
export function isSubworkflowStep(spec: LooseSubworkflow): boolean {
  return spec.workflow !== undefined;
}

/**
 * The key of the workflow at `path`, named by a step of the workflow whose key is `from`
 * (`""` for the top one): the path from the top workflow's folder, `.` parts dropped.
 */
export function subworkflowKey(from: string, path: string): string {
  const folder = from.includes("/") ? from.slice(0, from.lastIndexOf("/")) : "";
  return [...folder.split("/"), ...path.split("/")].filter((p) => p !== "" && p !== ".").join("/");
}

/** The sub-workflow fields of a valid step's definition. */
export function subworkflowFields(
  s: StepSpec,
  from: string,
): { subworkflow?: SubworkflowCall; code?: string } {
  if (s.workflow === undefined) return {};
  const params = Object.create(null) as Record<string, string>;
  for (const [name, source] of Object.entries(s.params ?? {})) params[name] = source;
  return { subworkflow: { path: s.workflow, key: subworkflowKey(from, s.workflow), params }, code: "" };
}
