/**
 * Error classes of sandflow. Step failures carry one of the names listed in
 * {@link STEP_ERROR_NAMES}; they cross threads and processes as `{ name, message, stack }`
 * and are rebuilt by {@link rebuildError} into instances that still `instanceof`.
 */

/** Base class of every error sandflow raises on purpose. */
export class SandflowError extends Error {
  override name = "SandflowError";
}

/** One problem found while validating a workflow: where (a dotted path) and what. */
export interface ValidationIssue {
  /** Where the problem is, e.g. `steps.process.depends_on[0]`; `""` for the whole file. */
  readonly path: string;
  readonly message: string;
}

/** A workflow file or object that cannot run. Lists every problem found, each with its place. */
export class WorkflowValidationError extends SandflowError {
  override name = "WorkflowValidationError";
  readonly issues: readonly ValidationIssue[];
  readonly source: string | undefined;
  constructor(issues: readonly ValidationIssue[], source?: string) {
    const where = source ? `${source}: ` : "";
    const lines = issues.map((i) => (i.path ? `  - ${i.path}: ${i.message}` : `  - ${i.message}`));
    super(
      `${where}invalid workflow (${issues.length} problem${issues.length === 1 ? "" : "s"}):\n${lines.join("\n")}`,
    );
    this.issues = issues;
    this.source = source;
  }
}

/** A workflow file that could not be read or parsed (syntax, size, budget). */
export class WorkflowLoadError extends SandflowError {
  override name = "WorkflowLoadError";
}

/** Run params that do not fit the workflow's `params`: unknown, missing or of the wrong type. */
export class InvalidParamsError extends SandflowError {
  override name = "InvalidParamsError";
  readonly issues: readonly ValidationIssue[];
  constructor(issues: readonly ValidationIssue[]) {
    const lines = issues.map((i) => `  - ${i.path}: ${i.message}`);
    super(
      `invalid run params (${issues.length} problem${issues.length === 1 ? "" : "s"}):\n${lines.join("\n")}`,
    );
    this.issues = issues;
  }
}

/** Base class of the failures of one step attempt. */
export class StepError extends SandflowError {
  override name = "StepError";
}
/** The step's code raised an error, exited non-zero or broke the step contract. */
export class StepRuntimeError extends StepError {
  override name = "StepRuntimeError";
}
/** The step ran longer than its timeout and was stopped. */
export class StepTimeoutError extends StepError {
  override name = "StepTimeoutError";
}
/** The step used more memory than its limit. */
export class MemoryLimitError extends StepError {
  override name = "MemoryLimitError";
}
/** The step printed more than the output limit (the report keeps the first part). */
export class OutputLimitError extends StepError {
  override name = "OutputLimitError";
}
/** The step returned a result larger than the result limit. */
export class ResultLimitError extends StepError {
  override name = "ResultLimitError";
}
/** A shell step started more processes than allowed. */
export class ProcessLimitError extends StepError {
  override name = "ProcessLimitError";
}
/** The step left more bytes under /tmp and /workspace than the run allows. */
export class WorkspaceLimitError extends StepError {
  override name = "WorkspaceLimitError";
}
/** The step returned a value that is not JSON (a set, a function, NaN, a cycle). */
export class InvalidResultError extends StepError {
  override name = "InvalidResultError";
}
/** The worker running the step died (crash, out of memory at the process level). */
export class WorkerCrashedError extends StepError {
  override name = "WorkerCrashedError";
}
/** The step was stopped because the run was cancelled. */
export class StepCancelledError extends StepError {
  override name = "StepCancelledError";
}
/** The step did not run because a dependency failed (or its trigger rule cannot be met). */
export class UpstreamFailedError extends StepError {
  override name = "UpstreamFailedError";
}
/** The step did not run because its `when` condition was false. */
export class ConditionFalseError extends StepError {
  override name = "ConditionFalseError";
}
/** A CEL expression of the step could not be evaluated (a missing key, a wrong type, a limit). */
export class ExpressionError extends StepError {
  override name = "ExpressionError";
}

/** A `for_each` list longer than the engine's `maxForEachItems`. */
export class ForEachLimitError extends StepError {
  override name = "ForEachLimitError";
}

/** A `repeat` step whose `until` was still false after `max` iterations. */
export class LoopLimitError extends StepError {
  override name = "LoopLimitError";
}

/** A sub-workflow step's child run failed (or was cancelled); the message names the child run and its failed step. */
export class SubworkflowFailedError extends StepError {
  override name = "SubworkflowFailedError";
}

/** A sub-workflow step in a run nested as deep as sub-workflows go (8 levels). */
export class SubworkflowDepthError extends StepError {
  override name = "SubworkflowDepthError";
}

/** A sub-workflow step past the child runs one run may start (engine option maxSubworkflowRuns). */
export class SubworkflowLimitError extends StepError {
  override name = "SubworkflowLimitError";
}

const STEP_ERRORS = {
  StepError,
  StepRuntimeError,
  StepTimeoutError,
  MemoryLimitError,
  OutputLimitError,
  ResultLimitError,
  ProcessLimitError,
  WorkspaceLimitError,
  InvalidResultError,
  WorkerCrashedError,
  StepCancelledError,
  UpstreamFailedError,
  ConditionFalseError,
  ExpressionError,
  ForEachLimitError,
  LoopLimitError,
  SubworkflowFailedError,
  SubworkflowDepthError,
  SubworkflowLimitError,
} as const;

/** The error names a step failure may carry in the run report. */
export const STEP_ERROR_NAMES = Object.keys(STEP_ERRORS) as (keyof typeof STEP_ERRORS)[];

/** An error as it crosses a thread or process boundary. */
export interface SerializedError {
  readonly name: string;
  readonly message: string;
  readonly stack?: string | undefined;
}

/** Turns any thrown value into `{ name, message, stack }`. */
export function serializeError(error: unknown): SerializedError {
  if (error instanceof Error) return { name: error.name, message: error.message, stack: error.stack };
  return { name: "Error", message: String(error) };
}

/** Rebuilds a serialized error into the matching class (unknown names become {@link StepError}). */
export function rebuildError(data: SerializedError): Error {
  const Ctor = (STEP_ERRORS as Record<string, new (message: string) => Error>)[data.name];
  const error = Ctor ? new Ctor(data.message) : new StepError(data.message);
  if (!Ctor) error.name = data.name;
  if (data.stack) error.stack = data.stack;
  return error;
}
