/**
 * A hand-written check of batch results, equivalent to `taskResultSchema` in messages.ts
 * (a property test compares the two). Results are the one message per step on the hot
 * path, and the pool process runs without code generation, where zod cannot compile its
 * fast validators.
 */
import type { TaskResult } from "./messages.js";

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);
const isString = (v: unknown): v is string => typeof v === "string";
const isNumber = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);
const isInt = (v: unknown, min: number): boolean => Number.isSafeInteger(v) && (v as number) >= min;

function isFileTree(v: unknown): boolean {
  if (!isObject(v)) return false;
  for (const key in v) {
    const data = v[key];
    if (data !== null && !(data instanceof Uint8Array)) return false;
  }
  return true;
}

function isOutcome(v: unknown): boolean {
  if (!isObject(v)) return false;
  if (v.ok === true) return isString(v.outputJson);
  if (v.ok !== false || !isObject(v.error)) return false;
  const e = v.error;
  return isString(e.name) && isString(e.message) && (e.stack === undefined || isString(e.stack));
}

function isLogTail(v: unknown): boolean {
  if (!Array.isArray(v)) return false;
  for (const chunk of v) {
    if (!isObject(chunk) || (chunk.stream !== "stdout" && chunk.stream !== "stderr") || !isString(chunk.text))
      return false;
  }
  return true;
}

/** True when `v` has the shape of a {@link TaskResult}. */
export function isTaskResult(v: unknown): v is TaskResult {
  if (!isObject(v) || !isInt(v.index, 0) || !isOutcome(v.outcome)) return false;
  const changes = v.changes;
  if (
    !isObject(changes) ||
    !isFileTree(changes.upserts) ||
    !Array.isArray(changes.deletes) ||
    !changes.deletes.every(isString)
  ) {
    return false;
  }
  return (
    isString(v.stdout) &&
    isString(v.stderr) &&
    isInt(v.logEvents, 0) &&
    isLogTail(v.logTail) &&
    isNumber(v.startedAt) &&
    isNumber(v.finishedAt)
  );
}
