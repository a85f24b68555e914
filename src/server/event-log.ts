/**
 * The events of the runs this server started, each with its sequence number in the run
 * (1, 2, ...), so an SSE client that reconnects with `Last-Event-ID` gets exactly what it
 * missed. Finished runs are kept for a while; older ones are rebuilt from the store.
 */
import type { RunHandle } from "../core/engine.js";
import type { RunEvent } from "../core/events.js";

/** An event and its place in its run. */
export interface SequencedEvent {
  readonly seq: number;
  readonly event: RunEvent;
}

type Listener = (e: SequencedEvent | undefined) => void;

/** One run's events so far, and who listens for more. */
export class RunEventLog {
  readonly events: SequencedEvent[] = [];
  #finished = false;
  readonly #listeners = new Set<Listener>();
  /** The run's handle while it runs here (for cancel). */
  handle: RunHandle | undefined;

  /** The log starts with `seed` (events replayed from the store, for a resumed run). */
  constructor(seed: readonly RunEvent[] = []) {
    for (const event of seed) this.events.push({ seq: this.events.length + 1, event });
  }

  get finished(): boolean {
    return this.#finished;
  }

  push(event: RunEvent): void {
    if (this.#finished) return;
    const entry = { seq: this.events.length + 1, event };
    this.events.push(entry);
    for (const l of this.#listeners) l(entry);
    if (event.type === "run-finished") this.finish();
  }

  /** Ends the log (also when the run ended without a `run-finished` event). */
  finish(): void {
    if (this.#finished) return;
    this.#finished = true;
    this.handle = undefined;
    for (const l of this.#listeners) l(undefined);
    this.#listeners.clear();
  }

  /**
   * Calls `listener` with each event after `afterSeq`, then with each new one, then with
   * `undefined` once the log ends. Returns the unsubscribe function.
   */
  subscribe(afterSeq: number, listener: Listener): () => void {
    for (const e of this.events) if (e.seq > afterSeq) listener(e);
    if (this.#finished) {
      listener(undefined);
      return () => {};
    }
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}

/** The logs of this server's runs; the logs of finished runs beyond `keepFinished` are dropped, oldest first. */
export class EventLogs {
  readonly #logs = new Map<string, RunEventLog>();
  readonly #keepFinished: number;

  constructor(keepFinished = 100) {
    this.#keepFinished = keepFinished;
  }

  get(runId: string): RunEventLog | undefined {
    return this.#logs.get(runId);
  }

  /** Follows `handle`'s events into a new log (seeded for a resumed run). */
  track(handle: RunHandle, seed: readonly RunEvent[] = []): RunEventLog {
    const log = new RunEventLog(seed);
    log.handle = handle;
    this.#logs.delete(handle.runId);
    this.#logs.set(handle.runId, log);
    void (async () => {
      try {
        for await (const event of handle) log.push(event);
        await handle.report;
      } catch {
        // The report's failure reaches the store's record; the log just ends.
      } finally {
        log.finish();
        this.#prune();
      }
    })();
    return log;
  }

  /** Handles of the runs still running here. */
  /** Forgets a deleted run's events (only a finished run's: a running one keeps streaming). */
  forget(runId: string): void {
    if (this.#logs.get(runId)?.finished) this.#logs.delete(runId);
  }

  running(): RunHandle[] {
    return [...this.#logs.values()].flatMap((l) => (l.handle ? [l.handle] : []));
  }

  #prune(): void {
    const finished = [...this.#logs].filter(([, l]) => l.finished);
    for (const [id] of finished.slice(0, Math.max(0, finished.length - this.#keepFinished)))
      this.#logs.delete(id);
  }
}
