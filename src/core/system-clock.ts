/** The {@link Clock} of a real platform, on the host's timers. */
import type { CancelSignal, Clock } from "./platform.js";
import { MAX_TIMER_MS } from "./timer-range.js";

interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/**
 * A clock over the given timer functions (both Node and browsers have them on
 * `globalThis`; the platform entry passes them in). A sleep longer than a timer can wait
 * is a chain of timers of at most {@link MAX_TIMER_MS} each (one longer fires at once).
 */
export function timerClock(timers: Timers, now: () => number): Clock {
  return {
    now,
    sleep(ms: number, signal?: CancelSignal): Promise<void> {
      if (ms <= 0 || signal?.aborted) return Promise.resolve();
      return new Promise((resolve) => {
        let handle: unknown;
        const done = () => {
          timers.clearTimeout(handle);
          signal?.removeEventListener("abort", done);
          resolve();
        };
        const arm = (left: number) => {
          handle = timers.setTimeout(
            () => (left > MAX_TIMER_MS ? arm(left - MAX_TIMER_MS) : done()),
            Math.min(left, MAX_TIMER_MS),
          );
        };
        arm(ms);
        signal?.addEventListener("abort", done, { once: true });
      });
    },
  };
}
