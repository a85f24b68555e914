/**
 * Scale-out on Postgres, the orchestrator's side: an engine whose steps run on `sandflow
 * worker` processes (the standby loop that takes over runs whose orchestrator died is
 * run-adopter.ts).
 */
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

export { RunAdopter } from "./run-adopter.js";
