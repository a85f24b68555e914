/**
 * Pyodide's fatal errors (C code overflowing the JavaScript stack, say) made into a fixed
 * step failure. Pyodide reports one by printing the JavaScript error, with its host stack
 * trace, through `console.error`, which in a worker reaches the engine's stderr; while
 * Python runs, `console.error` is silenced, and the error the step gets names nothing of
 * the host.
 */

/** What a step whose interpreter failed fatally fails with (the dispatcher then replaces the interpreter). */
export const PYODIDE_FATAL_MESSAGE =
  "Pyodide failed fatally (C code overflowed the stack, say); the interpreter is replaced";

interface PyodideInternals {
  _api?: { on_fatal?: (error: unknown) => void };
}

/** Watches one interpreter for a fatal error. */
export class FatalGuard {
  #failed = false;

  constructor(py: unknown) {
    const api = (py as PyodideInternals)._api;
    if (api)
      api.on_fatal = () => {
        this.#failed = true;
      };
  }

  /** True once the interpreter failed fatally: it can no longer be used. */
  get failed(): boolean {
    return this.#failed;
  }

  /**
   * Runs `fn` (synchronous Python calls) with `console.error` silenced; a fatal error (or
   * any error after one) is thrown as an Error with {@link PYODIDE_FATAL_MESSAGE} only.
   */
  run<T>(fn: () => T): T {
    const target = globalThis.console as { error: (...args: unknown[]) => void } | undefined;
    const original = target?.error;
    let muted = false;
    try {
      if (target) {
        target.error = () => {};
        muted = true;
      }
    } catch {
      // A frozen console: nothing to silence with, the step still fails with the fixed message.
    }
    try {
      return fn();
    } catch (e) {
      if (this.#failed || (e as { pyodide_fatal_error?: unknown } | null)?.pyodide_fatal_error)
        throw new Error(PYODIDE_FATAL_MESSAGE);
      throw e;
    } finally {
      if (muted && target && original) target.error = original;
    }
  }
}
