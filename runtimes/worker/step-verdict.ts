/**
 * What one step attempt finally counts as: the runtime's outcome, overridden by the
 * limits the dispatcher enforces (output, result size and shape, workspace) and by why the
 * step was interrupted. Error messages are bounded, so a step cannot make the report huge.
 */
import type { FileTree } from "../../src/core/file-tree.js";
import { treeSize } from "../../src/core/file-tree.js";
import { MAX_JSON_DEPTH } from "../../src/core/json-depth.js";
import { INTERRUPT_REASON } from "../../src/protocol/control-block.js";
import type { TaskResult, WireStepTask } from "../../src/protocol/messages.js";
import type { StepOutcome } from "./language-runtime.js";

/** Longest error message kept in a report. */
export const MAX_ERROR_CHARS = 16 * 1024;
/** Deepest nesting of arrays and objects a result may have (JSON tools recurse on it). */
export const MAX_RESULT_DEPTH = MAX_JSON_DEPTH;

type Outcome = TaskResult["outcome"];

function fail(name: string, message: string): Outcome {
  const text =
    message.length > MAX_ERROR_CHARS
      ? `${message.slice(0, MAX_ERROR_CHARS)}\n[sandflow: message cut at ${MAX_ERROR_CHARS} characters]`
      : message;
  return { ok: false, error: { name, message: text } };
}

/** A problem with a result's JSON text (invalid, or nested too deep), or undefined. */
export function resultProblem(json: string): string | undefined {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < json.length; i++) {
    const c = json.charCodeAt(i);
    if (inString) {
      if (c === 92) i++;
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 91 || c === 123) {
      if (++depth > MAX_RESULT_DEPTH) return `the result is nested deeper than ${MAX_RESULT_DEPTH} levels`;
    } else if (c === 93 || c === 125) depth--;
  }
  try {
    JSON.parse(json);
  } catch (e) {
    return `the result is not valid JSON (${(e as Error).message})`;
  }
  return undefined;
}

/** Decides the outcome of an attempt. `overflow` is the stream that went over the output limit. */
export function verdict(
  outcome: StepOutcome,
  task: WireStepTask,
  reason: number,
  overflow: "stdout" | "stderr" | undefined,
  files: FileTree,
): Outcome {
  const limits = task.limits;
  if (overflow) {
    return fail(
      "OutputLimitError",
      `the step printed more than ${limits.outputBytes} characters to ${overflow} (the engine's outputLimit); the first part is kept`,
    );
  }
  if (!outcome.ok) {
    if (reason === INTERRUPT_REASON.TIMEOUT) {
      return fail(
        "StepTimeoutError",
        `the step ran longer than its timeout of ${task.timeoutMs / 1000} s and was stopped`,
      );
    }
    if (reason === INTERRUPT_REASON.CANCELLED)
      return fail("StepCancelledError", "the step was stopped because the run was cancelled");
    return fail(outcome.error.name, outcome.error.message);
  }
  if (outcome.outputJson.length > limits.resultBytes) {
    return fail(
      "ResultLimitError",
      `the step's result is ${sizeText(outcome.outputJson.length)} of JSON (${outcome.outputJson.length} bytes), over the limit of ${sizeText(limits.resultBytes)} (the engine's resultLimit); pass large data between steps as files under /workspace`,
    );
  }
  const problem = resultProblem(outcome.outputJson);
  if (problem) return fail("InvalidResultError", problem);
  const size = treeSize(files);
  if (size > limits.workspaceBytes) {
    return fail(
      "WorkspaceLimitError",
      `the step left ${size} bytes under /tmp and /workspace; the limit is ${limits.workspaceBytes}`,
    );
  }
  return { ok: true, outputJson: outcome.outputJson };
}

/** `19.1 MiB`, `900 bytes`. */
function sizeText(bytes: number): string {
  if (bytes < 1048576) return `${bytes} bytes`;
  return `${(bytes / 1048576).toFixed(bytes % 1048576 === 0 ? 0 : 1)} MiB`;
}
