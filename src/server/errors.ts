/** Turning failures into the API's error answers: `{ error: { name, message, issues? } }` with a status code. */
import { InvalidSignalError } from "../core/durable/signals.js";
import { RunNotFoundError, RunStateError } from "../core/durable/store.js";
import {
  InvalidParamsError,
  type ValidationIssue,
  WorkflowLoadError,
  WorkflowValidationError,
} from "../core/errors.js";

/** An answer the API gives on purpose, with its status code. */
export class HttpError extends Error {
  override name: string;
  readonly status: 400 | 401 | 403 | 404 | 405 | 409 | 413 | 500;
  readonly issues: readonly ValidationIssue[] | undefined;
  constructor(
    status: HttpError["status"],
    name: string,
    message: string,
    issues?: readonly ValidationIssue[],
  ) {
    super(message);
    this.status = status;
    this.name = name;
    this.issues = issues;
  }
}

/** The body of an error answer. */
export interface ErrorBody {
  error: { name: string; message: string; issues?: ValidationIssue[] };
}

/** The status and body for `e`: known errors keep their names, anything else is a 500. */
export function errorAnswer(e: unknown): { status: HttpError["status"]; body: ErrorBody } {
  const body = (name: string, message: string, issues?: readonly ValidationIssue[]): ErrorBody => ({
    error: { name, message, ...(issues ? { issues: [...issues] } : {}) },
  });
  if (e instanceof HttpError) return { status: e.status, body: body(e.name, e.message, e.issues) };
  if (e instanceof WorkflowValidationError) return { status: 400, body: body(e.name, e.message, e.issues) };
  if (e instanceof InvalidParamsError) return { status: 400, body: body(e.name, e.message, e.issues) };
  if (e instanceof WorkflowLoadError) return { status: 400, body: body(e.name, e.message) };
  if (e instanceof InvalidSignalError) return { status: 400, body: body(e.name, e.message) };
  if (e instanceof RunNotFoundError) return { status: 404, body: body(e.name, e.message) };
  if (e instanceof RunStateError) return { status: 409, body: body(e.name, e.message) };
  const err = e instanceof Error ? e : new Error(String(e));
  return { status: 500, body: body("InternalError", err.message) };
}

/** Compares two strings in time that depends on their lengths only, not on where they differ. */
export function constantTimeEqual(a: string, b: string): boolean {
  const x = new TextEncoder().encode(a);
  const y = new TextEncoder().encode(b);
  let diff = x.length ^ y.length;
  const n = Math.max(x.length, y.length);
  for (let i = 0; i < n; i++) diff |= (x[i % (x.length || 1)] ?? 0) ^ (y[i % (y.length || 1)] ?? 0);
  return diff === 0;
}
