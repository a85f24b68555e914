/**
 * The server's retention (`sandflow serve --retention 30d`): the store is pruned when the
 * server starts and then at an interval, so a server that runs schedules for months keeps
 * only the runs of the last period (as Temporal's namespace retention and Windmill's
 * retention period do). Several servers on one Postgres store each prune; the deletes are
 * transactions, so they do not get in each other's way.
 */
import type { PruneResult, Store } from "../core/durable/store.js";

/** The longest time between two prunes. */
const MAX_INTERVAL_MS = 3_600_000;
/** The shortest (a retention of minutes is pruned every minute). */
const MIN_INTERVAL_MS = 60_000;

const count = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

/** What a prune removed (or would remove), in words: `sandflow prune` and the server's notice. */
export function pruneText(done: PruneResult, finishedBefore: number, dryRun = false): string {
  return `${dryRun ? "would remove" : "removed"} ${count(done.runs, "run", "runs")} finished before ${new Date(finishedBefore).toISOString()}, ${count(done.cacheEntries, "expired cached step result", "expired cached step results")} and ${count(done.blobs, "stored file nothing else uses", "stored files nothing else uses")}`;
}

/** @throws TypeError naming `options.retentionMs` when `ms` is not a positive number of milliseconds. */
export function checkRetention(ms: number): void {
  if (!Number.isFinite(ms) || ms <= 0)
    throw new TypeError(`options.retentionMs must be a positive number of milliseconds, got ${ms}`);
}

/** Prunes a store on a timer; see the file's comment. */
export class RetentionPruner {
  readonly #store: Store;
  readonly #retentionMs: number;
  readonly #notice: (message: string) => void;
  readonly #now: () => number;
  readonly #intervalMs: number;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #running: Promise<void> | undefined;
  #stopped = false;

  /** @throws TypeError when `retentionMs` is not a positive number of milliseconds. */
  constructor(store: Store, retentionMs: number, notice: (message: string) => void, now = () => Date.now()) {
    checkRetention(retentionMs);
    this.#store = store;
    this.#retentionMs = retentionMs;
    this.#notice = notice;
    this.#now = now;
    this.#intervalMs = Math.min(MAX_INTERVAL_MS, Math.max(MIN_INTERVAL_MS, retentionMs / 24));
  }

  /** Milliseconds between two prunes. */
  get intervalMs(): number {
    return this.#intervalMs;
  }

  /** Prunes now, then at the interval until stopped. */
  start(): void {
    this.#schedule(0);
  }

  /** Prunes once; resolves with what went, or undefined when the store failed (told as a notice). */
  async pruneOnce(): Promise<PruneResult | undefined> {
    const now = this.#now();
    const finishedBefore = now - this.#retentionMs;
    try {
      const done = await this.#store.prune({ finishedBefore, now });
      if (done.runs + done.cacheEntries + done.blobs > 0)
        this.#notice(`retention: ${pruneText(done, finishedBefore)}`);
      return done;
    } catch (e) {
      this.#notice(`retention: pruning the store failed (tried again later): ${(e as Error).message}`);
      return undefined;
    }
  }

  /** Stops the timer; resolves when a prune under way has finished. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    await this.#running;
  }

  #schedule(delayMs: number): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.#running = this.pruneOnce().then(() => {
        this.#running = undefined;
        this.#schedule(this.#intervalMs);
      });
    }, delayMs);
    this.#timer.unref?.();
  }
}
