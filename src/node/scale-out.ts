/**
 * Scale-out on Postgres, the orchestrator's side: an engine whose steps run on `sandflow
 * worker` processes, and the standby loop that takes over runs whose orchestrator died.
 */
import { RunStateError } from "../core/durable/store.js";
import type { Engine } from "../core/engine.js";
import { createEngine, type NodeEngineOptions } from "./create-engine.js";
import { PostgresStore } from "./postgres-store.js";
import { RemoteStepPool, type RemoteStepPoolOptions } from "./remote-step-pool.js";

/**
 * The Postgres store of a CLI command: the schema is `$SANDFLOW_PG_SCHEMA`, else `sandflow`
 * (separate schemas keep separate deployments, or test runs, apart in one database).
 */
export function openPostgresStore(url: string): PostgresStore {
  const schema = process.env.SANDFLOW_PG_SCHEMA;
  return new PostgresStore(url, schema ? { schema } : {});
}

/** Steps queued at once per run when neither the run nor the workflow says: the workers bound the rest. */
const REMOTE_CONCURRENCY = 64;

/**
 * An engine on a Postgres store whose steps run on remote workers. The store is ready (schema
 * migrated) and the queue exists when it resolves; `engine.close()` closes both.
 * @throws StoreError when the database cannot be used; TypeError naming a bad option.
 */
export async function createRemoteEngine(
  url: string,
  options: NodeEngineOptions & { readonly queue?: RemoteStepPoolOptions } = {},
): Promise<Engine> {
  const { queue, ...engineOptions } = options;
  const store = openPostgresStore(url);
  try {
    await store.ready();
    const stepPool = await RemoteStepPool.open(store, queue);
    return createEngine({ concurrency: REMOTE_CONCURRENCY, ...engineOptions, store, stepPool });
  } catch (e) {
    await store.close();
    throw e;
  }
}

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

  /** Looks for interrupted runs every `intervalMs`. */
  constructor(engine: Engine, intervalMs: number, say: (message: string) => void = () => undefined) {
    if (!engine.store) throw new TypeError("RunAdopter needs an engine with a store");
    this.#engine = engine;
    this.#say = say;
    this.#timer = setInterval(() => void this.scan(), intervalMs);
    this.#timer.unref();
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
        if (this.#adopted.has(run.runId)) continue;
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
