/**
 * The checks of a workflow after its schema: what one field alone cannot say (a step needs
 * code or a file, paths stay in the workflow's folder, env and secret names, dependencies
 * and cycles). They also run on the well-formed parts of a workflow that failed the schema,
 * so that one pass reports every problem.
 */
import { controlFlowIssues, paramIssues } from "./control-flow-checks.js";
import { dependencyIssues, findCycles } from "./dag.js";
import type { ValidationIssue } from "./errors.js";
import { formatPath } from "./format-path.js";
import { DEFAULT_LANGUAGE, LANGUAGE_ALIASES, type Language } from "./languages.js";
import { parseNetGrant } from "./net-grant.js";
import { STEP_ID_PATTERN } from "./schema.js";
import { isSubworkflowStep, subworkflowIssues } from "./subworkflow-checks.js";
import { isWaitStep, waitIssues } from "./wait-checks.js";
import { wasmStepIssues } from "./wasm-step.js";

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Checks a relative path given in a workflow file: no absolute path, no `..`, no empty parts. */
export function relativePathProblem(file: string): string | undefined {
  if (file.length === 0) return "is empty";
  if (file.startsWith("/") || /^[A-Za-z]:/.test(file) || file.startsWith("\\"))
    return "must be relative to the workflow file";
  if (file.includes("\\")) return "must use / as separator";
  if (file.includes("\0")) return "contains a NUL byte";
  if (file.split("/").some((part) => part === ".."))
    return "must stay inside the workflow's folder (no '..')";
  return undefined;
}

/** What the checks after the schema look at in a step (a well-formed part of it). */
interface LooseStep {
  /** Not a table/object at all (the schema has said so): only its id is checked. */
  readonly malformed?: true;
  readonly code?: unknown;
  readonly file?: unknown;
  readonly depends_on?: readonly string[];
  readonly env?: Record<string, string>;
  readonly secrets?: readonly string[];
  readonly allow?: unknown;
  readonly language?: string;
  readonly module?: string;
  readonly func?: string;
  readonly args?: unknown;
  readonly input?: unknown;
  readonly when?: unknown;
  readonly for_each?: unknown;
  readonly max_parallel?: unknown;
  readonly repeat?: unknown;
  readonly compensate?: unknown;
  readonly sleep?: unknown;
  readonly until?: unknown;
  readonly wait_for?: unknown;
  readonly approval?: unknown;
  readonly workflow?: unknown;
  readonly params?: unknown;
}

/** What the checks after the schema look at in a workflow. */
export interface LooseSpec {
  readonly steps: Record<string, LooseStep>;
  readonly params?: Readonly<Record<string, unknown>>;
  readonly defaults?: {
    readonly env?: Record<string, string>;
    readonly secrets?: readonly string[];
    readonly language?: string;
  };
}

function stepIssues(id: string, spec: LooseStep, language: Language): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  if (!STEP_ID_PATTERN.test(id)) {
    issues.push({
      path: formatPath(["steps", id]),
      message: `step id ${JSON.stringify(id)} must start with a letter or '_' and hold only letters, digits, '_', '-' or '.' (at most 128)`,
    });
  }
  if (spec.malformed) return issues;
  const sub = subworkflowIssues(id, spec as LooseStep & Record<string, unknown>, relativePathProblem);
  if (isSubworkflowStep(spec)) return [...issues, ...sub, ...controlFlowIssues(id, spec, language)];
  issues.push(...sub);
  if (isWaitStep(spec))
    return [
      ...issues,
      ...waitIssues(id, spec as LooseStep & Record<string, unknown>),
      ...controlFlowIssues(id, spec, language),
    ];
  const at = (field: string) => formatPath(["steps", id, field]);
  issues.push(...controlFlowIssues(id, spec, language));
  const wasm = wasmStepIssues(
    (field) => formatPath(field ? ["steps", id, field] : ["steps", id]),
    spec,
    language === "wasm",
    relativePathProblem,
  );
  const net = isObject(spec.allow) ? spec.allow.net : undefined;
  if (Array.isArray(net) && net.length > 0 && !NET_LANGUAGES.includes(language))
    issues.push({
      path: formatPath(["steps", id, "allow", "net"]),
      message: `${language} steps cannot make network requests (${NET_LANGUAGES.join(", ")} steps can)`,
    });
  if (language === "wasm") return [...issues, ...wasm];
  issues.push(...wasm);
  if (spec.code === undefined && spec.file === undefined)
    issues.push({ path: formatPath(["steps", id]), message: "needs 'code' or 'file'" });
  if (spec.code !== undefined && spec.file !== undefined)
    issues.push({ path: formatPath(["steps", id]), message: "has both 'code' and 'file'; give one" });
  if (typeof spec.file === "string") {
    const problem = relativePathProblem(spec.file);
    if (problem) issues.push({ path: at("file"), message: `${JSON.stringify(spec.file)} ${problem}` });
  }
  return issues;
}

function envIssues(env: Record<string, string> | undefined, path: PropertyKey[]): ValidationIssue[] {
  return Object.keys(env ?? {})
    .filter((name) => !ENV_NAME.test(name))
    .map((name) => ({
      path: formatPath([...path, name]),
      message: `environment variable name ${JSON.stringify(name)} must match [A-Za-z_][A-Za-z0-9_]*`,
    }));
}

function secretIssues(
  names: readonly string[] | undefined,
  env: Readonly<Record<string, string>> | undefined,
  path: PropertyKey[],
): ValidationIssue[] {
  return (names ?? []).flatMap((name, i) =>
    !ENV_NAME.test(name)
      ? [
          {
            path: formatPath([...path, i]),
            message: `secret name ${JSON.stringify(name)} must match [A-Za-z_][A-Za-z0-9_]*`,
          },
        ]
      : env && Object.hasOwn(env, name)
        ? [
            {
              path: formatPath([...path, i]),
              message: `'${name}' is both a secret and an env variable; give it once`,
            },
          ]
        : [],
  );
}

/** Languages whose steps have a fetch the host performs (see src/core/net-grant.ts). */
const NET_LANGUAGES: readonly Language[] = ["python", "javascript", "shell"];

/** The step's normalised grant entries (defaults' and its own), when it has any. */
export function netGrantOf(
  defaults: readonly string[] | undefined,
  own: readonly string[] | undefined,
  language: Language,
): { allowNet?: readonly string[] } {
  if (!NET_LANGUAGES.includes(language)) return {};
  const hosts = [...(defaults ?? []), ...(own ?? [])].flatMap((e) => {
    const parsed = parseNetGrant(e);
    return parsed.ok ? [parsed.text] : [];
  });
  return hosts.length > 0 ? { allowNet: [...new Set(hosts)] } : {};
}

export const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * The parts of a workflow that failed the schema which are still well-formed enough for
 * the checks after it (code/file, paths, env names, dependencies), so that one pass
 * reports every problem: fields of the wrong type are left out here (the schema has named them).
 */
export function looseSpec(raw: Record<string, unknown>): { spec: LooseSpec; hasSteps: boolean } {
  const pick = (step: Record<string, unknown>): LooseStep => {
    const env = isObject(step.env) && Object.values(step.env).every((v) => typeof v === "string");
    return {
      code: step.code,
      file: step.file,
      ...(Array.isArray(step.depends_on)
        ? { depends_on: step.depends_on.filter((d): d is string => typeof d === "string") }
        : {}),
      ...(env ? { env: step.env as Record<string, string> } : {}),
      ...(Array.isArray(step.secrets)
        ? { secrets: step.secrets.filter((n): n is string => typeof n === "string") }
        : {}),
      allow: step.allow,
      ...(typeof step.language === "string" ? { language: step.language } : {}),
      ...(typeof step.module === "string" ? { module: step.module } : {}),
      ...(typeof step.func === "string" ? { func: step.func } : {}),
      args: step.args,
      input: step.input,
      when: step.when,
      for_each: step.for_each,
      max_parallel: step.max_parallel,
      repeat: step.repeat,
      compensate: step.compensate,
      workflow: step.workflow,
      params: step.params,
    };
  };
  const steps = isObject(raw.steps)
    ? Object.fromEntries(
        Object.entries(raw.steps).map(([id, v]): [string, LooseStep] => [
          id,
          isObject(v) ? pick(v) : { malformed: true },
        ]),
      )
    : {};
  const picked = isObject(raw.defaults) ? pick(raw.defaults) : undefined;
  const defaults = picked
    ? {
        ...(picked.env ? { env: picked.env } : {}),
        ...(picked.secrets ? { secrets: picked.secrets } : {}),
        ...(picked.language ? { language: picked.language } : {}),
      }
    : undefined;
  return {
    spec: {
      steps,
      ...(defaults ? { defaults } : {}),
      ...(isObject(raw.params) ? { params: raw.params } : {}),
    },
    hasSteps: isObject(raw.steps),
  };
}

/** A step's language with aliases resolved (the default where it names none or an unknown one). */
export function languageOf(
  step: { language?: string },
  defaults: { language?: string } | undefined,
): Language {
  return LANGUAGE_ALIASES[step.language ?? defaults?.language ?? DEFAULT_LANGUAGE] ?? DEFAULT_LANGUAGE;
}

/** The problems the schema cannot see: ids, code or file, paths, env and secret names, params, dependencies and cycles. */
export function semanticIssues(spec: LooseSpec, hasSteps: boolean): ValidationIssue[] {
  const issues: ValidationIssue[] = paramIssues(spec.params);
  const ids = Object.keys(spec.steps);
  if (ids.length === 0 && hasSteps) issues.push({ path: "steps", message: "the workflow has no steps" });
  for (const id of ids) {
    const s = spec.steps[id] as LooseStep;
    issues.push(...stepIssues(id, s, languageOf(s, spec.defaults)));
  }
  issues.push(...envIssues(spec.defaults?.env, ["defaults", "env"]));
  for (const id of ids) issues.push(...envIssues(spec.steps[id]?.env, ["steps", id, "env"]));
  issues.push(...secretIssues(spec.defaults?.secrets, spec.defaults?.env, ["defaults", "secrets"]));
  for (const id of ids) {
    const s = spec.steps[id];
    issues.push(...secretIssues(s?.secrets, { ...spec.defaults?.env, ...s?.env }, ["steps", id, "secrets"]));
  }
  const deps = new Map(ids.map((id) => [id, spec.steps[id]?.depends_on ?? []]));
  issues.push(...dependencyIssues(deps));
  for (const cycle of findCycles(deps)) {
    issues.push({ path: `steps.${cycle[0]}.depends_on`, message: `dependency cycle: ${cycle.join(" -> ")}` });
  }
  return issues;
}
