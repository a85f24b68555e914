/** Running Python steps on a runtime directly (no engine), for the interpreter-state tests. */
import type { LanguageRuntime, StepInvocation } from "../../runtimes/worker/language-runtime.js";

const MB = 1048576;

/** A step of run `runId` with `code`, no inputs, no files, 256 MB. */
export function invocation(runId: string, code: string): StepInvocation {
  return {
    runId,
    stepId: "s",
    attempt: 1,
    code,
    codeHash: code,
    inputsJson: "{}",
    env: {},
    files: {},
    limits: {
      memoryBytes: 256 * MB,
      outputBytes: MB,
      resultBytes: MB,
      processes: 4,
      workspaceBytes: 16 * MB,
    },
    emit: () => {},
    interrupted: () => false,
    interruptBuffer: new Int32Array(new SharedArrayBuffer(4)),
  };
}

/** The output of `code` run as a step of `runId`; throws the step's error. */
export async function value(runtime: LanguageRuntime, runId: string, code: string): Promise<unknown> {
  const outcome = await runtime.run(invocation(runId, code));
  if (!outcome.ok) throw new Error(`${outcome.error.name}: ${outcome.error.message}`);
  return JSON.parse(outcome.outputJson);
}
