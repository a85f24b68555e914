/**
 * The control block of a batch: a small SharedArrayBuffer shared by the pool host and the
 * worker running the batch. The worker writes which step it is running and since when;
 * the host's watchdog reads it to enforce timeouts and writes the interrupt flag the
 * runtimes poll (Pyodide reads cell 0 natively as its interrupt buffer). No zod here:
 * worker code imports this file.
 */

/** Cells of the control block's Int32Array view. */
export const CONTROL = {
  /** Nonzero asks the running step to stop; 2 is SIGINT for Pyodide's interrupt buffer. */
  FLAG: 0,
  /** Index of the step running now, -1 between steps. */
  CURRENT: 1,
  /** Index of the step the interrupt is meant for. */
  TARGET: 2,
  /** Why: one of {@link INTERRUPT_REASON}. */
  REASON: 3,
  /** Float64 index (of a Float64Array view) holding the current step's start, epoch ms. */
  START_F64: 2,
  /** Index of the step whose interpreter is being made, -1 when none (the host times it). */
  LOADING: 6,
  /**
   * Float64 index: the worker's whole memory (JavaScript heap plus array buffers and wasm
   * memories) just before the current step started, in bytes; 0 when the platform cannot
   * tell. The host's watchdog measures the step's growth from it.
   */
  BASE_MEMORY_F64: 4,
  /** Length of the Float64Array view over the control block. */
  F64_LENGTH: 5,
  /** Int32 cell where per-task cancel flags begin (one per task). */
  CANCEL_BASE: 10,
} as const;

/** Why a step was interrupted. */
export const INTERRUPT_REASON = {
  NONE: 0,
  TIMEOUT: 1,
  CANCELLED: 2,
  OUTPUT: 3,
  LOAD_TIMEOUT: 4,
  /** The step grew its worker's whole memory past its allowance (the worker is killed at once). */
  MEMORY: 5,
} as const;

/** Value written to {@link CONTROL.FLAG}: SIGINT, which Pyodide turns into KeyboardInterrupt. */
export const INTERRUPT_SIGNAL = 2;

/** A control block for a batch of `tasks` steps. */
export function createControlBlock(tasks: number): SharedArrayBuffer {
  const sab = new SharedArrayBuffer(4 * (CONTROL.CANCEL_BASE + tasks));
  const cells = new Int32Array(sab);
  cells[CONTROL.CURRENT] = -1;
  cells[CONTROL.TARGET] = -1;
  cells[CONTROL.LOADING] = -1;
  return sab;
}

/** Asks the step at `index` to stop, for `reason` (one of {@link INTERRUPT_REASON}). */
export function requestInterrupt(cells: Int32Array, index: number, reason: number): void {
  Atomics.store(cells, CONTROL.TARGET, index);
  Atomics.store(cells, CONTROL.REASON, reason);
  Atomics.store(cells, CONTROL.FLAG, INTERRUPT_SIGNAL);
  // A shell step sleeping in Atomics.wait on this cell wakes at once.
  Atomics.notify(cells, CONTROL.FLAG);
}

/** Clears an interrupt once its step has ended. */
export function clearInterrupt(cells: Int32Array): void {
  Atomics.store(cells, CONTROL.FLAG, 0);
  Atomics.store(cells, CONTROL.REASON, 0);
  Atomics.store(cells, CONTROL.TARGET, -1);
}
