/** The handle of a run in progress: its events as an async iterator, its report, cancellation. */
import type { CancelSource } from "./cancel.js";
import { Channel } from "./channel.js";
import type { RunEvent } from "./events.js";
import type { RunReport } from "./report.js";

/** A run in progress: its events as an async iterator, its report as a promise. */
export class RunHandle implements AsyncIterable<RunEvent> {
  /** The run's id. */
  readonly runId: string;
  /** Resolves with the report when the run ends (also when it fails or is cancelled). */
  readonly report: Promise<RunReport>;
  /**
   * Resolves once the run is in the engine's store (at once without a store), so that
   * `engine.report(runId)` finds it; rejects when it could not be recorded.
   */
  readonly recorded: Promise<void>;
  readonly #subscribers = new Set<Channel<RunEvent>>();
  readonly #cancel: CancelSource;
  #ended = false;

  /** @internal Built by {@link Engine.start}. */
  constructor(
    runId: string,
    cancel: CancelSource,
    recorded: Promise<void>,
    body: (emit: (e: RunEvent) => void, listening: () => boolean) => Promise<RunReport>,
  ) {
    this.runId = runId;
    this.recorded = recorded;
    this.#cancel = cancel;
    // Starting on a later microtask lets callers subscribe before the first event.
    this.report = Promise.resolve().then(() =>
      body(
        (event) => {
          for (const sub of this.#subscribers) sub.push(event);
          if (event.type === "run-finished") this.#end();
        },
        () => this.#subscribers.size > 0,
      ).finally(() => this.#end()),
    );
  }

  #end(): void {
    this.#ended = true;
    for (const sub of this.#subscribers) sub.close();
    this.#subscribers.clear();
  }

  /** Stops the run: running steps are interrupted, the rest are not started. */
  cancel(): void {
    this.#cancel.cancel();
  }

  /** Events from now until `run-finished` (subscribe right after `start` to see them all). */
  [Symbol.asyncIterator](): AsyncIterator<RunEvent> {
    const channel = new Channel<RunEvent>();
    if (this.#ended) channel.close();
    else this.#subscribers.add(channel);
    return channel[Symbol.asyncIterator]();
  }
}
