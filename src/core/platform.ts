/**
 * What a platform (Node, a browser) passes into the core: a clock, a way to make ids,
 * and the shape of cancellation signals. The core never reaches for globals itself.
 */

/** The parts of an AbortSignal the core uses (a real AbortSignal fits). */
export interface CancelSignal {
  readonly aborted: boolean;
  addEventListener(type: "abort", listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: "abort", listener: () => void): void;
}

/** Time and timers. */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Resolves after `ms`, or early (without error) when `signal` aborts. */
  sleep(ms: number, signal?: CancelSignal): Promise<void>;
}

/** Makes unique ids for runs. */
export type IdFactory = () => string;
