/** The {@link Clock} of a real platform, on the host's timers. */
import type { CancelSignal, Clock } from "./platform.js";

interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/**
 * A clock over the given timer functions (both Node and browsers have them on
 * `globalThis`; the platform entry passes them in).
 */
export function timerClock(timers: Timers, now: () => number): Clock {
  return {
    now,
    sleep(ms: number, signal?: CancelSignal): Promise<void> {
      if (ms <= 0 || signal?.aborted) return Promise.resolve();
      return new Promise((resolve) => {
        const done = () => {
          timers.clearTimeout(handle);
          signal?.removeEventListener("abort", done);
          resolve();
        };
        const handle = timers.setTimeout(done, ms);
        signal?.addEventListener("abort", done, { once: true });
      });
    },
  };
}
