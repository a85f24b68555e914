/**
 * Turns a raw workflow value (from any loader or `defineWorkflow`) into a
 * {@link WorkflowDefinition}, or a {@link WorkflowValidationError} that lists every
 * problem with its place. Nothing runs before this succeeds.
 */
import { z } from "zod";
import { controlFlowFields, paramDefinitions } from "./control-flow-checks.js";
import { topologicalOrder } from "./dag.js";
import { parseDuration } from "./durable/duration.js";
import { type ValidationIssue, WorkflowValidationError } from "./errors.js";
import { formatPath } from "./format-path.js";
import { LANGUAGE_ALIASES } from "./languages.js";
import { nullProtoRecord, withOwnRecords } from "./own-record.js";
import { err, ok, type Result } from "./result.js";
import { checkSchedule, type Schedule } from "./schedule.js";
import {
  type StepSpec,
  secondsOf,
  stepDefaultsSchema,
  stepSpecSchema,
  workflowSpecSchema,
} from "./schema.js";
import {
  isObject,
  languageOf,
  looseSpec,
  netGrantOf,
  relativePathProblem,
  semanticIssues,
} from "./step-checks.js";
import { subworkflowFields } from "./subworkflow-checks.js";
import { parseInlineWorkflows } from "./subworkflows.js";
import { didYouMean } from "./suggest.js";
import { waitSpecOf } from "./wait-checks.js";
import { inlineWasmStepCode } from "./wasm-step.js";
import type { ParamDefinition, StepDefinition, WaitSpec, WorkflowDefinition } from "./workflow.js";

export { formatPath } from "./format-path.js";

/** Options of {@link parseWorkflow}. */
export interface ParseWorkflowOptions {
  /** Where the workflow came from, for messages. Default: none. */
  readonly source?: string;
  /** Name used when the workflow has none. Default: `"workflow"`. */
  readonly fallbackName?: string;
  /**
   * The workflow's key when it is a sub-workflow: its path from the top workflow's folder
   * (its steps' `workflow` paths are relative to that path's folder). Default: `""`, the top workflow.
   */
  readonly at?: string;
}

/** Shared by steps without env (one object, sent once per batch). */
const NO_ENV: Readonly<Record<string, string>> = Object.freeze(Object.create(null));

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "string")
    return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value)}`;
  if (typeof value === "object") return "a table/object";
  return `${typeof value} ${String(value)}`;
}

function knownKeys(path: readonly PropertyKey[]): string[] {
  if (path.length === 0) return Object.keys(workflowSpecSchema.shape);
  if (path[0] === "defaults") return Object.keys(stepDefaultsSchema.shape);
  return Object.keys(stepSpecSchema.shape);
}

/** What a value outside a field's choices is told: the choices, what it got, the nearest choice. */
export function choiceText(values: readonly unknown[], input: unknown): string {
  const options = values.map((v) => String(v));
  const hint = typeof input === "string" ? didYouMean(input, options) : "";
  return `expected one of ${options.map((v) => JSON.stringify(v)).join(", ")}, got ${describe(input)}${hint}`;
}

function zodIssues(error: z.ZodError): ValidationIssue[] {
  const out: ValidationIssue[] = [];
  for (const issue of error.issues) {
    const path = formatPath(issue.path);
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) {
        const where = formatPath([...issue.path, key]);
        out.push({ path: where, message: `unknown field '${key}'${didYouMean(key, knownKeys(issue.path))}` });
      }
    } else if (issue.code === "invalid_type") {
      const input = (issue as { input?: unknown }).input;
      const got = input === undefined ? "nothing" : describe(input);
      const needed = issue.expected === "record" ? "a table/object" : issue.expected;
      out.push({
        path,
        message: input === undefined ? `is required (${needed})` : `expected ${needed}, got ${got}`,
      });
    } else if (issue.code === "invalid_value" && issue.path.at(-1) === "language") {
      const input = (issue as { input?: unknown }).input;
      const known = Object.keys(LANGUAGE_ALIASES).join(", ");
      out.push({
        path,
        message:
          typeof input === "string"
            ? `unknown language ${JSON.stringify(input)}${didYouMean(input, Object.keys(LANGUAGE_ALIASES))}; expected one of ${known}`
            : `expected a language name (one of ${known}), got ${describe(input)}`,
      });
    } else if (
      (issue.code === "too_small" || issue.code === "too_big") &&
      /^Too (small|big):/.test(issue.message) // zod's own words, not a message of the schema's
    ) {
      const input = (issue as { input?: unknown }).input;
      out.push({ path, message: `${boundText(issue)}, got ${describe(input)}` });
    } else if (issue.code === "invalid_value" && (issue as { input?: unknown }).input !== undefined) {
      out.push({ path, message: choiceText(issue.values, (issue as { input?: unknown }).input) });
    } else if (issue.code === "invalid_union" && (issue as { input?: unknown }).input !== undefined) {
      out.push({ path, message: `${issue.message}, got ${describe((issue as { input?: unknown }).input)}` });
    } else out.push({ path, message: issue.message });
  }
  return out;
}

/** "must be above 0", "must be at most 64", "must have at least 1 item": zod's bound in words. */
function boundText(issue: z.core.$ZodIssueTooSmall | z.core.$ZodIssueTooBig): string {
  const small = issue.code === "too_small";
  const bound = String(issue.code === "too_small" ? issue.minimum : issue.maximum);
  const numeric = issue.origin === "number" || issue.origin === "int" || issue.origin === "bigint";
  if (numeric)
    return `must be ${issue.inclusive ? (small ? "at least" : "at most") : small ? "above" : "below"} ${bound}`;
  const unit = issue.origin === "string" ? "character" : issue.origin === "array" ? "item" : "entry";
  const word = small ? "at least" : "at most";
  return `must have ${word} ${bound} ${unit}${bound === "1" ? "" : "s"}`;
}

/** Seconds a cached result lasts: `undefined` no cache, `null` until cleared. */
function cacheTtl(cache: boolean | string | undefined): number | null | undefined {
  if (cache === undefined || cache === false) return undefined;
  if (cache === true) return null;
  return (parseDuration(cache) ?? 0) / 1000;
}

/** A path's last part without a workflow file's extension (the name of a workflow that gives none). */
function baseNameOf(path: string): string {
  return (path.split("/").pop() ?? path).replace(/\.(lua|ya?ml|json)$/i, "");
}

/** A waiting step's wait (it has no code: the empty text stands for it). */
function waitFieldsOf(s: StepSpec): { wait?: WaitSpec; code?: string } {
  const wait = waitSpecOf(s);
  return wait ? { wait, code: "" } : {};
}

/** Validates and normalises a raw workflow value; every problem is reported at once. */
export function parseWorkflow(
  raw: unknown,
  options: ParseWorkflowOptions = {},
): Result<WorkflowDefinition, WorkflowValidationError> {
  const fail = (issues: ValidationIssue[]) => err(new WorkflowValidationError(issues, options.source));
  if (!isObject(raw)) {
    return fail([
      { path: "", message: `a workflow must be a table/object with a 'steps' field, got ${describe(raw)}` },
    ]);
  }
  const parsed = workflowSpecSchema.safeParse(raw, { reportInput: true });
  if (!parsed.success) {
    const { spec, hasSteps } = looseSpec(raw);
    return fail([...zodIssues(parsed.error), ...semanticIssues(spec, hasSteps)]);
  }
  const own = withOwnRecords(raw, parsed.data);
  if (own.issues.length > 0) {
    const { spec, hasSteps } = looseSpec(raw);
    return fail([...zodIssues(new z.ZodError(own.issues)), ...semanticIssues(spec, hasSteps)]);
  }
  const spec = own.spec;
  const triggers = triggersOf(spec);
  const inline = parseInlineWorkflows(raw.workflows, options.at ?? "", relativePathProblem, (child, at) =>
    parseWorkflow(child, {
      ...(options.source ? { source: options.source } : {}),
      fallbackName: baseNameOf(at),
      at,
    }),
  );
  const issues = [
    ...semanticIssues({ ...spec, params: isObject(raw.params) ? raw.params : undefined }, true),
    ...triggers.issues,
    ...inline.issues,
  ];
  if (issues.length > 0) return fail(issues);
  const ids = Object.keys(spec.steps);
  const deps = new Map(ids.map((id) => [id, spec.steps[id]?.depends_on ?? []]));

  const all = spec.defaults ?? {};
  // A step that runs a workflow runs no code: of the defaults, only those of retrying apply.
  const { retries, retry_delay, retry_backoff } = all;
  const retrying: typeof all = {
    ...(retries !== undefined ? { retries } : {}),
    ...(retry_delay !== undefined ? { retry_delay } : {}),
    ...(retry_backoff !== undefined ? { retry_backoff } : {}),
  };
  const steps: StepDefinition[] = topologicalOrder(deps).map((id) => {
    const s = spec.steps[id] as StepSpec;
    const d = s.workflow === undefined ? all : retrying;
    const language = languageOf(s, d);
    return {
      id,
      language,
      code: language === "wasm" && s.module ? inlineWasmStepCode({ ...s, module: s.module }) : s.code,
      file: s.file,
      dependsOn: s.depends_on ?? [],
      timeout: secondsOf(s.timeout ?? d.timeout),
      retries: s.retries ?? d.retries ?? 0,
      retryDelay: secondsOf(s.retry_delay ?? d.retry_delay) ?? 0,
      retryBackoff: s.retry_backoff ?? d.retry_backoff ?? 1,
      memory: s.memory ?? d.memory,
      env: d.env || s.env ? nullProtoRecord(d.env, s.env) : NO_ENV,
      secrets: [...new Set([...(d.secrets ?? []), ...(s.secrets ?? [])])],
      ...netGrantOf(d.allow?.net, s.allow?.net, language),
      description: s.description,
      cacheTtl: cacheTtl(s.cache ?? d.cache),
      ...controlFlowFields(s, language),
      ...waitFieldsOf(s),
      ...subworkflowFields(s, options.at ?? ""),
      ...(s.rate_limit_key !== undefined ? { rateLimitKey: s.rate_limit_key } : {}),
      ...(s.priority ? { priority: s.priority } : {}),
      ...(language === "wasm"
        ? { module: s.module, func: s.func, args: s.args ?? [], input: s.input ?? 0 }
        : {}),
    };
  });
  return ok({
    name: spec.name ?? options.fallbackName ?? "workflow",
    description: spec.description,
    concurrency: spec.concurrency,
    ...(spec.priority ? { priority: spec.priority } : {}),
    ...(spec.concurrency_key !== undefined
      ? { concurrencyKey: spec.concurrency_key, maxRuns: spec.max_runs ?? 1 }
      : {}),
    ...withEventParam(spec.params ? paramDefinitions(spec.params) : undefined, triggers.events.length > 0),
    steps,
    ...(triggers.events.length > 0 ? { events: triggers.events } : {}),
    ...(triggers.schedule ? { schedule: triggers.schedule } : {}),
    source: options.source,
    ...(Object.keys(inline.workflows).length > 0 ? { subworkflows: inline.workflows } : {}),
  });
}

/**
 * The params of a workflow that events start: those it declares, and `event` (the event's
 * data, an object) unless it declares that one itself.
 */
function withEventParam(
  params: Record<string, ParamDefinition> | undefined,
  onEvents: boolean,
): { params?: Record<string, ParamDefinition> } {
  if (!onEvents || (params && Object.hasOwn(params, "event"))) return params ? { params } : {};
  const event: ParamDefinition = {
    type: "object",
    default: {},
    description: "The data of the event that started the run ({} when it was started otherwise).",
  };
  return { params: Object.assign(Object.create(null) as Record<string, ParamDefinition>, params, { event }) };
}

/** The `on`, `schedule` and `timezone` fields, checked. */
function triggersOf(spec: z.output<typeof workflowSpecSchema>): {
  events: string[];
  schedule: Schedule | undefined;
  issues: ValidationIssue[];
} {
  const on = spec.on === undefined ? [] : Array.isArray(spec.on) ? spec.on : [spec.on];
  const events = [...new Set(on.map((t) => t.event))];
  const issues: ValidationIssue[] = [];
  let schedule: Schedule | undefined;
  if (spec.schedule !== undefined) {
    const checked = checkSchedule(spec.schedule, spec.timezone);
    if (checked.ok) schedule = checked.value;
    else
      issues.push({
        path: spec.timezone && /time zone/.test(checked.error) ? "timezone" : "schedule",
        message: checked.error,
      });
  }
  if (spec.max_runs !== undefined && spec.concurrency_key === undefined)
    issues.push({
      path: "max_runs",
      message: "max_runs applies to runs with a concurrency_key; add one or remove it",
    });
  if (spec.schedule === undefined && spec.timezone !== undefined)
    issues.push({
      path: "timezone",
      message: "a timezone applies to a schedule; add a 'schedule' field or remove it",
    });
  return { events, schedule, issues };
}

/** Like {@link parseWorkflow} but throws the {@link WorkflowValidationError}. */
export function parseWorkflowOrThrow(raw: unknown, options: ParseWorkflowOptions = {}): WorkflowDefinition {
  const result = parseWorkflow(raw, options);
  if (!result.ok) throw result.error;
  return result.value;
}
