/**
 * Takes over interrupted runs: on Postgres, those whose orchestrator died (a standby
 * `serve`); on any store, the runs that were only waiting (sleep, a signal) when their
 * process stopped, so a server restart does not end a durable wait.
 */
import { RunStateError } from "../core/durable/store.js";
import type { Engine } from "../core/engine.js";

/**
 * Takes over interrupted runs of the engine's store (their orchestrator died: its lease
 * passed, or its process is gone) and runs them to the end on this engine.
 */
export class RunAdopter {
  readonly #engine: Engine;
  readonly #timer: ReturnType<typeof setInterval>;
  readonly #say: (message: string) => void;
  readonly #adopted = new Set<string>();
  #scanning = false;
  readonly #only: (runId: string) => Promise<boolean>;

  /**
   * Looks for interrupted runs every `intervalMs` (and once at once); `only` picks the runs
   * to take (default: all).
   */
  constructor(
    engine: Engine,
    intervalMs: number,
    say: (message: string) => void = () => undefined,
    only: (runId: string) => Promise<boolean> = async () => true,
  ) {
    if (!engine.store) throw new TypeError("RunAdopter needs an engine with a store");
    this.#engine = engine;
    this.#say = say;
    this.#only = only;
    this.#timer = setInterval(() => void this.scan(), intervalMs);
    this.#timer.unref();
    void this.scan();
  }

  /** Runs being continued here. */
  get adopted(): number {
    return this.#adopted.size;
  }

  /** One look: claims and resumes every interrupted run. */
  async scan(): Promise<void> {
    if (this.#scanning) return;
    this.#scanning = true;
    try {
      const runs = await this.#engine.runs({ status: "interrupted", limit: 100 });
      for (const run of runs) {
        if (this.#adopted.has(run.runId) || !(await this.#only(run.runId))) continue;
        let handle: Awaited<ReturnType<Engine["resume"]>>;
        try {
          handle = await this.#engine.resume(run.runId);
        } catch (e) {
          if (e instanceof RunStateError) continue; // another orchestrator was quicker
          throw e;
        }
        this.#adopted.add(run.runId);
        this.#say(`took over run ${run.runId} (${run.workflow}): its orchestrator stopped`);
        handle.report
          .then((report) => this.#say(`run ${run.runId} ${report.status}`))
          .catch((e: Error) => this.#say(`run ${run.runId} stopped: ${e.message}`))
          .finally(() => this.#adopted.delete(run.runId));
      }
    } catch (e) {
      this.#say(`cannot look for interrupted runs: ${(e as Error).message}`);
    } finally {
      this.#scanning = false;
    }
  }

  /** Stops looking (runs taken over go on until the engine closes). */
  stop(): void {
    clearInterval(this.#timer);
  }
}
