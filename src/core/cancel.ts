/** A minimal cancellation source whose signal fits {@link CancelSignal} (and piscina's AbortSignal-like). */
import type { CancelSignal } from "./platform.js";

/** Creates signals the core can abort without DOM or Node types. */
export class CancelSource {
  readonly #listeners = new Set<() => void>();
  #aborted = false;

  /** The signal to hand to callees. */
  readonly signal: CancelSignal = {
    get aborted(): boolean {
      return false;
    },
    addEventListener: (_type, listener) => {
      if (this.#aborted) listener();
      else this.#listeners.add(listener);
    },
    removeEventListener: (_type, listener) => {
      this.#listeners.delete(listener);
    },
  };

  constructor() {
    Object.defineProperty(this.signal, "aborted", { get: () => this.#aborted });
  }

  /** True once {@link cancel} was called. */
  get cancelled(): boolean {
    return this.#aborted;
  }

  /** Aborts the signal (once) and calls every listener. */
  cancel(): void {
    if (this.#aborted) return;
    this.#aborted = true;
    const listeners = [...this.#listeners];
    this.#listeners.clear();
    for (const listener of listeners) listener();
  }
}
