/**
 * The workflows a workflow's sub-workflow steps run: those written inline under
 * `workflows`, and those read from files by the platform (Node reads them from the
 * workflow's folder; a page has none). All of them end up in the top workflow's
 * {@link WorkflowDefinition.subworkflows}, keyed by path from its folder, so that a run's
 * record holds every child it can start.
 */
import { type ValidationIssue, type WorkflowLoadError, WorkflowValidationError } from "./errors.js";
import { formatPath } from "./format-path.js";
import { err, ok, type Result } from "./result.js";
import { MAX_SUBWORKFLOW_DEPTH, subworkflowKey } from "./subworkflow-checks.js";
import type { WorkflowDefinition } from "./workflow.js";

/** Most distinct workflows one workflow may bring (itself not counted): bounds a hostile tree. */
export const MAX_SUBWORKFLOWS = 100;

/**
 * Reads the workflow with `key` (its path from the top workflow's folder), parsed with that
 * key (see {@link parseInlineWorkflows}): how a platform finds sub-workflows in files.
 */
export type SubworkflowReader = (
  key: string,
) => Promise<Result<WorkflowDefinition, WorkflowLoadError | WorkflowValidationError>>;

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** `issues` of the workflow at `where` (a path prefix such as `workflows["a.yaml"]`). */
function nested(where: string, issues: readonly ValidationIssue[]): ValidationIssue[] {
  return issues.map((i) => ({ path: i.path ? `${where}.${i.path}` : where, message: i.message }));
}

/**
 * Parses the `workflows` field of the workflow with key `at` (`""` for the top one): each
 * entry with `parseChild`, keyed by its path from the top workflow's folder.
 */
export function parseInlineWorkflows(
  raw: unknown,
  at: string,
  pathProblem: (path: string) => string | undefined,
  parseChild: (raw: unknown, key: string) => Result<WorkflowDefinition, WorkflowValidationError>,
): { workflows: Record<string, WorkflowDefinition>; issues: ValidationIssue[] } {
  const workflows = Object.create(null) as Record<string, WorkflowDefinition>;
  const issues: ValidationIssue[] = [];
  if (!isObject(raw)) return { workflows, issues };
  const names = Object.keys(raw);
  if (names.length > MAX_SUBWORKFLOWS)
    issues.push({
      path: "workflows",
      message: `holds ${names.length} workflows; the limit is ${MAX_SUBWORKFLOWS}`,
    });
  for (const name of names.slice(0, MAX_SUBWORKFLOWS)) {
    const where = formatPath(["workflows", name]);
    const problem = pathProblem(name);
    if (problem) {
      issues.push({ path: where, message: `${JSON.stringify(name)} ${problem}` });
      continue;
    }
    const child = raw[name];
    if (isObject(child) && child.workflows !== undefined) {
      issues.push({
        path: `${where}.workflows`,
        message: "an inline workflow cannot hold workflows of its own; put them all in the top workflow's",
      });
      continue;
    }
    const key = subworkflowKey(at, name);
    const parsed = parseChild(child, key);
    if (parsed.ok) workflows[key] = parsed.value;
    else issues.push(...nested(where, parsed.error.issues));
  }
  return { workflows, issues };
}

/** The keys `workflow` (or one of its children) names that are not in `found`, with where they are named. */
function missing(
  workflow: WorkflowDefinition,
  found: Readonly<Record<string, WorkflowDefinition>>,
): { key: string; path: string; label: string }[] {
  const out: { key: string; path: string; label: string }[] = [];
  const owners: [string, WorkflowDefinition][] = [["", workflow], ...Object.entries(found)];
  for (const [owner, w] of owners)
    for (const s of w.steps) {
      const call = s.subworkflow;
      if (!call || Object.hasOwn(found, call.key)) continue;
      const path = formatPath(["steps", s.id, "workflow"]);
      out.push({
        key: call.key,
        path: owner ? `${formatPath(["workflows", owner])}.${path}` : path,
        label: JSON.stringify(call.path),
      });
    }
  return out;
}

/**
 * `workflow` with every sub-workflow its steps (and theirs) name: from its `workflows`,
 * else read with `read`. A name found nowhere is a validation issue at the step.
 */
export async function completeSubworkflows(
  workflow: WorkflowDefinition,
  read?: SubworkflowReader,
): Promise<Result<WorkflowDefinition, WorkflowLoadError | WorkflowValidationError>> {
  const found = Object.assign(
    Object.create(null) as Record<string, WorkflowDefinition>,
    workflow.subworkflows,
  );
  const issues: ValidationIssue[] = [];
  const tried = new Set<string>();
  for (;;) {
    const wanted = missing(workflow, found).filter((m) => !tried.has(m.key));
    if (wanted.length === 0) break;
    for (const m of wanted) {
      if (tried.has(m.key)) continue;
      tried.add(m.key);
      if (!read) {
        issues.push({
          path: m.path,
          message: `${m.label} is not under the workflow's 'workflows' and there is no folder to read it from (load the workflow from its file, or write the child inline under 'workflows')`,
        });
        continue;
      }
      if (Object.keys(found).length >= MAX_SUBWORKFLOWS) {
        issues.push({
          path: m.path,
          message: `${m.label}: the workflow brings more than ${MAX_SUBWORKFLOWS} sub-workflows`,
        });
        continue;
      }
      const child = await read(m.key);
      if (!child.ok) {
        const why =
          child.error instanceof WorkflowValidationError
            ? child.error.issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join("; ")
            : child.error.message;
        issues.push({ path: m.path, message: `${m.label}: ${why}` });
        continue;
      }
      const { subworkflows, ...own } = child.value;
      found[m.key] = own;
      for (const [key, w] of Object.entries(subworkflows ?? {}))
        if (!Object.hasOwn(found, key)) found[key] = w;
    }
  }
  if (issues.length === 0) issues.push(...endlessRecursion(workflow, found));
  if (issues.length > 0) return err(new WorkflowValidationError(issues, workflow.source));
  return ok(Object.keys(found).length > 0 ? { ...workflow, subworkflows: found } : workflow);
}

/**
 * Sub-workflows that start each other with no condition on the way (no `when`, no
 * `for_each`): every run would start the next until the depth limit fails them all.
 * Recursion that a condition or a list ends is left alone.
 */
function endlessRecursion(
  workflow: WorkflowDefinition,
  found: Readonly<Record<string, WorkflowDefinition>>,
): ValidationIssue[] {
  const calls = (w: WorkflowDefinition) =>
    w.steps.flatMap((s) =>
      s.subworkflow && s.when === undefined && s.forEach === undefined
        ? [{ step: s, key: s.subworkflow.key }]
        : [],
    );
  const seen = new Set<string>();
  // Depth-first along unconditional calls from the top; a key met again on the path is a cycle.
  const walk = (w: WorkflowDefinition, path: string[]): ValidationIssue[] => {
    for (const { step, key } of calls(w)) {
      const at = path.indexOf(key);
      if (at >= 0) {
        const owner = path[path.length - 1] as string;
        const where = formatPath(["steps", step.id, "workflow"]);
        const cycle = [...path.slice(at), key].join(" → ");
        return [
          {
            path: owner ? `${formatPath(["workflows", owner])}.${where}` : where,
            message: `sub-workflows start each other with no condition: ${cycle}; every run would start the next until the limit of ${MAX_SUBWORKFLOW_DEPTH} nested runs fails them all (end the recursion with a 'when' or a 'for_each')`,
          },
        ];
      }
      const child = found[key];
      if (!child || seen.has(key)) continue;
      const issues = walk(child, [...path, key]);
      if (issues.length > 0) return issues;
      seen.add(key);
    }
    return [];
  };
  return walk(workflow, [""]);
}

/** Problems with the sub-workflows of a workflow about to run: a step naming one it does not hold. */
export function subworkflowRefIssues(workflow: WorkflowDefinition): ValidationIssue[] {
  return missing(workflow, workflow.subworkflows ?? {}).map((m) => ({
    path: m.path,
    message: `${m.label} is not loaded: load the workflow with loadWorkflowFile (which reads its sub-workflows) or write the child inline under 'workflows'`,
  }));
}

/** The ids of a workflow's leaf steps: those no other step depends on (a sub-workflow step's output holds theirs). */
export function leafSteps(workflow: WorkflowDefinition): string[] {
  const needed = new Set(workflow.steps.flatMap((s) => s.dependsOn));
  return workflow.steps.filter((s) => !needed.has(s.id)).map((s) => s.id);
}
