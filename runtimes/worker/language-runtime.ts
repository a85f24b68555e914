/**
 * The seam between the worker's dispatcher and one language (Python, Lua, shell).
 *
 * A {@link LanguageRuntimeFactory} loads the WebAssembly once per worker; it creates
 * cheap {@link LanguageRuntime} instances. An instance may serve many steps of one run;
 * the dispatcher throws it away (and asks the factory for a clean one) before a step of
 * another run, so nothing a step leaves behind is seen by another run.
 */
import type { Language } from "../../src/core/languages.js";
import type { FileTree } from "../fs/file-tree.js";
import type { NetFetch } from "./net-client.js";

/** Bounds a runtime enforces while a step runs. All sizes in bytes. */
export interface StepLimits {
  /** Largest memory the step's interpreter may use. */
  readonly memoryBytes: number;
  /** Largest stdout and stderr kept per stream; more fails the step with OutputLimitError. */
  readonly outputBytes: number;
  /** Largest JSON result (serialised); more fails the step with ResultLimitError. */
  readonly resultBytes: number;
  /** Largest number of processes a shell step may have alive at once. */
  readonly processes: number;
  /** Largest total size of the files under /tmp and /workspace after the step. */
  readonly workspaceBytes: number;
}

/** Everything a runtime needs to run one step attempt. */
export interface StepInvocation {
  readonly runId: string;
  readonly stepId: string;
  /** 1-based attempt number. */
  readonly attempt: number;
  /** The step's source code. */
  readonly code: string;
  /** Stable hash of `code`, for caching compiled steps. */
  readonly codeHash: string;
  /** JSON text of the inputs object: `{ "<dependency id>": <its output>, ... }`. */
  readonly inputsJson: string;
  /**
   * JSON object text: `{ params, item?, index? }` (the run's params; a for-each item and its
   * index). Absent when the run has no params and the step no item: params are then `{}`.
   */
  readonly contextJson?: string | undefined;
  /** The step's environment variables (never the host's). */
  readonly env: Readonly<Record<string, string>>;
  /** The files the step's ancestors left under /tmp and /workspace. */
  readonly files: FileTree;
  readonly limits: StepLimits;
  /** Streams printed output; the dispatcher bounds and forwards it. */
  readonly emit: (stream: "stdout" | "stderr", text: string) => void;
  /**
   * True once the host asked this step to stop (its timeout passed or the run was
   * cancelled). Runtimes that can stop themselves poll it and fail with StepTimeoutError.
   */
  readonly interrupted: () => boolean;
  /** The shared interrupt flag behind {@link interrupted}, for runtimes that read it natively. */
  readonly interruptBuffer: Int32Array;
  /**
   * HTTP(S) requests the host performs for the step, checked against its grant
   * (`allow.net`); without a grant every request fails with NetworkDeniedError. Absent
   * where a caller gives no network at all (tests).
   */
  readonly net?: NetFetch;
}

/** A failure that crosses the worker boundary. `name` is one of the report's error names. */
export interface StepFailure {
  readonly name: string;
  readonly message: string;
  readonly stack?: string;
}

/** Outcome of one step attempt: an expected failure is a value, never a throw. */
export type StepOutcome =
  | { readonly ok: true; readonly outputJson: string; readonly files: FileTree }
  | { readonly ok: false; readonly error: StepFailure; readonly files?: FileTree };

/** One interpreter instance, owned by one worker and one run at a time. */
export interface LanguageRuntime {
  /** Runs one step attempt. Throws only on a bug or a broken interpreter. */
  run(invocation: StepInvocation): Promise<StepOutcome>;
  /**
   * Optional: puts the instance back into the state it had when it was made, so it can
   * serve another run as if it were new. False when it cannot (then it is disposed and a
   * new one made).
   */
  reset?(): boolean;
  /** Bytes of WebAssembly memory the instance holds now (wasm memory never shrinks). */
  memoryBytes(): number;
  /** Frees the instance; it is not used again. */
  dispose(): void;
}

/** Settings fixed when an instance is made. */
export interface RuntimeCreateOptions {
  /** The memory limit of the steps the instance will run (used when `memoryFixedAtCreate`). */
  readonly memoryBytes: number;
}

/** Loads one language's WebAssembly once per worker and makes instances of it. */
export interface LanguageRuntimeFactory {
  readonly language: Language;
  /**
   * True when an instance's memory limit is fixed when it is made (Pyodide's wasm memory
   * maximum); the dispatcher then makes a new instance for a step with another limit.
   */
  readonly memoryFixedAtCreate?: boolean;
  /** A fresh instance, sharing nothing mutable with instances made before. */
  create(options?: RuntimeCreateOptions): Promise<LanguageRuntime>;
}
