/** Test helpers: a shell runtime on the committed busybox.wasm and a step invocation builder. */
import type { FileTree } from "../../runtimes/fs/file-tree.js";
import { createShellRuntimeFactory } from "../../runtimes/shell/index.js";
import { loadBusyboxWasm } from "../../runtimes/shell/node-assets.js";
import type {
  LanguageRuntime,
  StepInvocation,
  StepLimits,
  StepOutcome,
} from "../../runtimes/worker/language-runtime.js";

export const factory = createShellRuntimeFactory({ loadWasm: loadBusyboxWasm });

export const defaultLimits: StepLimits = {
  memoryBytes: 256 << 20,
  outputBytes: 8 << 20,
  resultBytes: 8 << 20,
  processes: 64,
  workspaceBytes: 64 << 20,
};

export interface StepOptions {
  inputs?: Record<string, unknown>;
  inputsJson?: string;
  env?: Record<string, string>;
  files?: FileTree;
  limits?: Partial<StepLimits>;
  attempt?: number;
  stepId?: string;
  interrupted?: () => boolean;
}

export interface Ran {
  outcome: StepOutcome;
  emitted: { stdout: string; stderr: string };
  ms: number;
}

export function invocation(
  code: string,
  o: StepOptions = {},
  emitted = { stdout: "", stderr: "" },
): StepInvocation {
  const interruptBuffer = new Int32Array(new SharedArrayBuffer(4));
  return {
    runId: "run-1",
    stepId: o.stepId ?? "step-1",
    attempt: o.attempt ?? 1,
    code,
    codeHash: "hash",
    inputsJson: o.inputsJson ?? JSON.stringify(o.inputs ?? {}),
    env: o.env ?? {},
    files: o.files ?? {},
    limits: { ...defaultLimits, ...o.limits },
    emit: (stream, text) => {
      emitted[stream] += text;
    },
    interrupted: o.interrupted ?? (() => Atomics.load(interruptBuffer, 0) !== 0),
    interruptBuffer,
  };
}

let shared: LanguageRuntime | undefined;
export async function runtime(): Promise<LanguageRuntime> {
  shared ??= await factory.create();
  return shared;
}

export async function runStep(code: string, o: StepOptions = {}): Promise<Ran> {
  const rt = await runtime();
  const emitted = { stdout: "", stderr: "" };
  const t0 = performance.now();
  const outcome = await rt.run(invocation(code, o, emitted));
  return { outcome, emitted, ms: performance.now() - t0 };
}

/** Runs a plain script; returns stdout, stderr and the exit code (a non-zero exit is not an error here). */
export async function sh(
  script: string,
  o: StepOptions = {},
): Promise<{ stdout: string; stderr: string; code: number }> {
  const r = await runStep(script, o);
  let code = 0;
  if (!r.outcome.ok) {
    const m = /^shell step exited with status (\d+):/.exec(r.outcome.error.message);
    if (r.outcome.error.name !== "StepRuntimeError" || !m) {
      throw new Error(`${r.outcome.error.name}: ${r.outcome.error.message}`);
    }
    code = Number(m[1]);
  }
  return { stdout: r.emitted.stdout, stderr: r.emitted.stderr, code };
}

export function output(outcome: StepOutcome): unknown {
  if (!outcome.ok) throw new Error(`step failed: ${outcome.error.name}: ${outcome.error.message}`);
  return JSON.parse(outcome.outputJson);
}
