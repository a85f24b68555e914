/**
 * The leases of the runs an engine holds: one owner per run at a time. Leases are renewed
 * while the runs go on; a process that dies stops renewing, and its runs show `interrupted`
 * once their lease has passed (a store that can tell a dead process sooner says so sooner).
 */
import { CancelSource } from "../cancel.js";
import type { Clock } from "../platform.js";
import type { RunRecord } from "./journal.js";
import type { Store } from "./store.js";

/** Milliseconds a lease lasts unless renewed. */
export const LEASE_MS = 15_000;

/** Creates, claims and renews the leases of one engine. */
export class LeaseKeeper {
  readonly owner: string;
  readonly #store: Store;
  readonly #clock: Clock;
  readonly #held = new Set<string>();
  readonly #stop = new CancelSource();
  #renewing = false;

  constructor(store: Store, owner: string, clock: Clock) {
    this.#store = store;
    this.owner = owner;
    this.#clock = clock;
  }

  /** Records a new run, held by this engine. */
  async create(record: RunRecord): Promise<void> {
    await this.#store.createRun(record, this.#lease());
    this.hold(record.runId);
  }

  /** Takes an interrupted run; false when another live owner holds it. */
  async claim(runId: string): Promise<boolean> {
    const ok = await this.#store.claimRun(runId, this.#lease());
    if (ok) this.hold(runId);
    return ok;
  }

  /** Keeps renewing the lease of a run this engine holds. */
  hold(runId: string): void {
    this.#held.add(runId);
    if (!this.#renewing && !this.#stop.cancelled) void this.#renew();
  }

  /** Stops renewing a run's lease (its end is in the journal, or it is left to be resumed). */
  release(runId: string): void {
    this.#held.delete(runId);
  }

  /** Stops renewing every lease. */
  stop(): void {
    this.#stop.cancel();
  }

  #lease() {
    return { owner: this.owner, until: this.#clock.now() + LEASE_MS };
  }

  async #renew(): Promise<void> {
    this.#renewing = true;
    try {
      while (this.#held.size > 0 && !this.#stop.cancelled) {
        await this.#clock.sleep(LEASE_MS / 3, this.#stop.signal);
        if (this.#held.size === 0 || this.#stop.cancelled) break;
        // A failed renewal is retried on the next round; the lease has room for two misses.
        await this.#store
          .renewLeases(this.owner, [...this.#held], this.#clock.now() + LEASE_MS)
          .catch(() => undefined);
      }
    } finally {
      this.#renewing = false;
    }
  }
}
