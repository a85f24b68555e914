/**
 * Validation of the waiting steps (`sleep`, `until`, `wait_for`, `approval`): a step that
 * waits runs no code, so none of the fields of code may come with it, and only one way of
 * waiting per step. Also turns their fields into the {@link WaitSpec} the run uses.
 */
import { parseDuration } from "./durable/duration.js";
import type { ValidationIssue } from "./errors.js";
import { formatPath } from "./format-path.js";
import type { WaitSpec } from "./workflow.js";

/** The waiting fields of a step as written. */
export interface WaitFields {
  readonly sleep?: unknown;
  readonly until?: unknown;
  readonly wait_for?: unknown;
  readonly approval?: unknown;
}

/** The fields that make a step wait. */
export const WAIT_FIELDS = ["sleep", "until", "wait_for", "approval"] as const;
/** The fields that give a step its code. */
export const CODE_OF_STEP = ["code", "file", "module", "func", "args", "input", "language"] as const;
/** Fields that give a step code to run, or change how its code runs: none applies to waiting. */
const CODE_FIELDS = [...CODE_OF_STEP, "for_each", "repeat", "compensate"];
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([Zz]|[+-]\d{2}:\d{2})$/;

/** Whether the step waits instead of running code. */
export function isWaitStep(spec: WaitFields): boolean {
  return WAIT_FIELDS.some((f) => spec[f] !== undefined);
}

function timeOf(text: unknown): number | undefined {
  if (typeof text !== "string" || !RFC3339.test(text)) return undefined;
  const t = Date.parse(text);
  return Number.isNaN(t) ? undefined : t;
}

/** Problems of a waiting step's fields (empty for a step that does not wait). */
export function waitIssues(
  id: string,
  spec: WaitFields & Readonly<Record<string, unknown>>,
): ValidationIssue[] {
  const given = WAIT_FIELDS.filter((f) => spec[f] !== undefined);
  if (given.length === 0) return [];
  const at = (...path: PropertyKey[]) => formatPath(["steps", id, ...path]);
  const issues: ValidationIssue[] = [];
  if (given.length > 1)
    issues.push({
      path: at(),
      message: `has ${given.join(" and ")}; a step waits one way: give one of them`,
    });
  for (const field of CODE_FIELDS)
    if (spec[field] !== undefined)
      issues.push({
        path: at(field),
        message: `a step that waits (${given[0]}) runs no code, so '${field}' does not apply; remove it`,
      });
  const sleep = spec.sleep;
  const until =
    typeof sleep === "object" && sleep !== null ? (sleep as { until?: unknown }).until : spec.until;
  if (until !== undefined && timeOf(until) === undefined)
    issues.push({
      path: spec.until !== undefined ? at("until") : at("sleep", "until"),
      message: `${JSON.stringify(until)} is not an RFC 3339 time such as "2026-12-24T18:00:00Z"`,
    });
  return issues;
}

function timeoutMs(value: unknown): number | undefined {
  const timeout =
    typeof value === "object" && value !== null ? (value as { timeout?: unknown }).timeout : undefined;
  return typeof timeout === "string" ? parseDuration(timeout) : undefined;
}

/** The wait of a valid step, or undefined when it runs code. */
export function waitSpecOf(spec: WaitFields): WaitSpec | undefined {
  if (typeof spec.sleep === "string") return { kind: "sleep", ms: parseDuration(spec.sleep) ?? 0 };
  const until =
    typeof spec.sleep === "object" && spec.sleep !== null
      ? (spec.sleep as { until?: unknown }).until
      : spec.until;
  if (until !== undefined) return { kind: "sleep", until: timeOf(until) ?? 0 };
  if (spec.wait_for !== undefined) {
    const ms = timeoutMs(spec.wait_for);
    const name = (spec.wait_for as { signal: string }).signal;
    return { kind: "signal", name, approval: false, ...(ms !== undefined ? { timeoutMs: ms } : {}) };
  }
  if (spec.approval !== undefined) {
    const ms = timeoutMs(spec.approval);
    return {
      kind: "signal",
      name: "approval",
      approval: true,
      ...(ms !== undefined ? { timeoutMs: ms } : {}),
    };
  }
  return undefined;
}
