/**
 * Writes one run's journal: entries added during one scheduler tick are committed together
 * in one store transaction, in order, and the scheduler acts on a transition only once the
 * promise {@link RunJournal.add} returned has resolved.
 */
import type { JournalEntry } from "./journal.js";
import type { Store } from "./store.js";

/** The journal writer of one run. */
export class RunJournal {
  readonly #store: Store;
  readonly #runId: string;
  #pending: JournalEntry[] = [];
  #next: Promise<void> | undefined;
  #tail: Promise<unknown> = Promise.resolve();

  constructor(store: Store, runId: string) {
    this.#store = store;
    this.#runId = runId;
  }

  /** The store written to. */
  get store(): Store {
    return this.#store;
  }

  /** Adds an entry; resolves once it is committed (rejects when the store fails). */
  add(entry: JournalEntry): Promise<void> {
    this.#pending.push(entry);
    if (!this.#next) {
      // Waiting for the previous commit keeps batches in order; the then() runs after the
      // current tick, so every entry of the tick goes into one transaction.
      const next = this.#tail.then(() => {
        const batch = this.#pending;
        this.#pending = [];
        this.#next = undefined;
        return this.#store.append(this.#runId, batch);
      });
      this.#next = next;
      this.#tail = next.catch(() => undefined);
    }
    return this.#next;
  }

  /** Resolves once everything added so far is committed. */
  settled(): Promise<void> {
    return this.#next ?? this.#tail.then(() => undefined);
  }
}
