/**
 * The range of timers: Node and browsers fire a timer of more than 2^31 - 1 ms (about
 * 24.8 days) after 1 ms. Workflow fields are bounded to it and computed delays clamped.
 */

/** Longest a single timer can wait, in ms. */
export const MAX_TIMER_MS = 2 ** 31 - 1;
/** Largest `timeout` and `retry_delay` a workflow may set, in seconds (about 24.8 days). */
export const MAX_DELAY_SECONDS = Math.floor(MAX_TIMER_MS / 1000);
/** Largest `retry_backoff` a workflow may set. */
export const MAX_RETRY_BACKOFF = 100;

/**
 * The wait before retry number `attempt` (the 1st retry follows attempt 1), in ms: the
 * delay grown by `backoff` per earlier retry, never more than {@link MAX_TIMER_MS}.
 */
export function retryDelayMs(delaySeconds: number, backoff: number, attempt: number): number {
  if (!(delaySeconds > 0)) return 0;
  const ms = delaySeconds * 1000 * backoff ** Math.max(0, attempt - 1);
  return Number.isFinite(ms) ? Math.min(Math.round(ms), MAX_TIMER_MS) : MAX_TIMER_MS;
}
