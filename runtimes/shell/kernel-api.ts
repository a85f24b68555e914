/**
 * What the shell kernel (kernel.ts) is configured with and how it fails: the options of
 * one step's process table, the StepAbort error carrying a report error name, how thrown
 * errors become step failures, the signal numbers the host acts on, and wait statuses.
 */
import type { StepFailure } from "../worker/language-runtime.js";
import { WorkspaceLimitExceeded } from "./mem-fs.js";
import type { WasmModule } from "./wasm-api.js";

export const SIGKILL = 9;
export const SIGPIPE = 13;
export const SIGCHLD = 17;
export const SIGSEGV = 11;
/** Signals whose default action is to do nothing (no job control here, so stops are ignored too). */
export const DEFAULT_IGNORED = new Set([17, 18, 19, 20, 21, 22, 23, 28]);
/** Longest a process runs before it gives the CPU (and the event loop) a turn. */
export const SLICE_MS = 10;
/** How long processes left when the step's shell exits may go on writing their output. */
export const DRAIN_MS = 200;
/** How often the scheduler yields to the event loop. */
export const EVENT_LOOP_EVERY_MS = 25;

/** A step failure raised anywhere in the kernel; `errorName` is the report's error name. */
export class StepAbort extends Error {
  constructor(
    readonly errorName: string,
    message: string,
  ) {
    super(message);
  }
}

export interface KernelOptions {
  readonly module: WasmModule;
  readonly memoryBytes: number;
  readonly processes: number;
  readonly interrupted: () => boolean;
  /** Int32Array on a SharedArrayBuffer to Atomics.wait on (index 0 is expected to stay 0). */
  readonly waitCell: Int32Array;
  /** Where crash diagnostics go (the step's stderr). */
  readonly diagnostic: (text: string) => void;
  /** [workspace limit, bytes used] for df. */
  readonly fsInfo: () => [number, number];
  readonly modeOf: (ino: bigint) => number;
  readonly setMode: (ino: bigint, mode: number) => boolean;
}

/** True when Atomics.wait works on `cell` (it lives on a SharedArrayBuffer). */
export const isShared = (cell: Int32Array): boolean =>
  typeof SharedArrayBuffer !== "undefined" && cell.buffer instanceof SharedArrayBuffer;

/** A one-cell Int32Array to Atomics.wait on; unshared where SharedArrayBuffer is missing
 * (a page that is not cross-origin isolated): idle time then waits with setTimeout. */
export const sharedCell = (): Int32Array =>
  new Int32Array(typeof SharedArrayBuffer !== "undefined" ? new SharedArrayBuffer(4) : new ArrayBuffer(4));

/** The kernel's own step failures. */
export const abort = {
  interrupted: () => new StepAbort("StepTimeoutError", "shell step interrupted (time limit or cancel)"),
  processes: (n: number) =>
    new StepAbort(
      "ProcessLimitError",
      `shell step exceeded its process limit: more than ${n} processes alive at once (a fork bomb?)`,
    ),
  memory: (bytes: number) =>
    new StepAbort(
      "MemoryLimitError",
      `shell step needs more than its memory limit of ${bytes} bytes (all processes together)`,
    ),
  deadlock: () =>
    new StepAbort(
      "StepRuntimeError",
      "shell step deadlocked: every process waits on a pipe, a child or a signal that can never come",
    ),
};

/** Exit code of a wait status: the code, or 128 + the signal. */
export const exitCode = (status: number): number =>
  status & 0x7f ? 128 + (status & 0x7f) : (status >> 8) & 0xff;

/** A thrown error as the step failure it stands for (limits, interrupts, bad invocations, bugs). */
export function stepFailure(e: unknown): StepFailure {
  if (e instanceof StepAbort) return { name: e.errorName, message: e.message };
  if (e instanceof WorkspaceLimitExceeded) return { name: "WorkspaceLimitError", message: e.message };
  if (e instanceof RangeError)
    return { name: "StepRuntimeError", message: `invalid shell step: ${e.message}` };
  const err = e instanceof Error ? e : new Error(String(e));
  return {
    name: "StepRuntimeError",
    message: `shell runtime internal error: ${err.message}`,
    ...(err.stack ? { stack: err.stack } : {}),
  };
}
