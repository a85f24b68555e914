/**
 * `PostgresStore.prune`: one transaction that deletes the runs that may go with their events,
 * signals and step tasks, the expired cache entries, then, when anything went, the blobs
 * nothing left names (see store-prune.ts); a dry run rolls it back.
 */

import type { PoolClient } from "pg";
import { CACHE_KEPT, type PruneQuery, type PruneResult } from "../core/durable/store.js";
import { prunableRuns, unnamedBlobs, WITH_FILES, WITH_UPSERTS } from "./store-prune.js";

/** What the prune needs of a PostgresStore (which imports this file). */
export interface PostgresPruneAccess {
  table(name: string): string;
  use<T>(what: string, body: (client: PoolClient) => Promise<T>, transaction?: boolean): Promise<T>;
}

/** Every blob's hash. */
async function allBlobs(store: PostgresPruneAccess, c: PoolClient): Promise<string[]> {
  return ((await c.query(`SELECT hash FROM ${store.table("blobs")}`)).rows as { hash: string }[]).map(
    (r) => r.hash,
  );
}

/** The bodies that can name blobs: journal and cache entries with files, step tasks and their results. */
async function keptBodies(store: PostgresPruneAccess, c: PoolClient): Promise<(string | null)[]> {
  const bodies = async (sql: string, pattern: string) =>
    ((await c.query(sql, [pattern])).rows as { body: string | null }[]).map((r) => r.body);
  const tasks = store.table("step_tasks");
  return [
    ...(await bodies(`SELECT body FROM ${store.table("events")} WHERE body LIKE $1`, WITH_UPSERTS)),
    ...(await bodies(`SELECT body FROM ${store.table("step_cache")} WHERE body LIKE $1`, WITH_UPSERTS)),
    ...(await bodies(`SELECT body FROM ${tasks} WHERE body LIKE $1`, WITH_FILES)),
    ...(await bodies(`SELECT result AS body FROM ${tasks} WHERE result LIKE $1`, WITH_UPSERTS)),
  ];
}

/** Prunes `store` as {@link PruneQuery} says. */
export async function prunePostgres(store: PostgresPruneAccess, query: PruneQuery): Promise<PruneResult> {
  const runs = store.table("runs");
  const events = store.table("events");
  const tasks = store.table("step_tasks");
  const cache = store.table("step_cache");
  const now = query.now ?? CACHE_KEPT;
  return store.use("pruning", async (c) => {
    await c.query("BEGIN");
    try {
      const ids = (
        await c.query(
          `SELECT r.run_id FROM ${runs} r WHERE ${prunableRuns(runs, "$1")} AND ($2::text[] IS NULL OR r.run_id = ANY($2))`,
          [query.finishedBefore, query.runIds ?? null],
        )
      ).rows.map((r: { run_id: string }) => r.run_id);
      const expired = "expires_at IS NOT NULL AND expires_at <= $1";
      for (const table of [events, store.table("signals"), tasks])
        await c.query(`DELETE FROM ${table} WHERE run_id = ANY($1)`, [ids]);
      const deletedRuns = (await c.query(`DELETE FROM ${runs} WHERE run_id = ANY($1)`, [ids])).rowCount ?? 0;
      const cacheEntries = (await c.query(`DELETE FROM ${cache} WHERE ${expired}`, [now])).rowCount ?? 0;
      let blobs = 0;
      if (deletedRuns + cacheEntries > 0) {
        // Writers add a blob in the transaction that records what names it: holding the
        // table, no row this scan misses can name a blob it deletes (a later writer adds it
        // again). A dry run deletes nothing, so it holds nothing up.
        if (!query.dryRun) await c.query(`LOCK TABLE ${store.table("blobs")} IN EXCLUSIVE MODE`);
        const unnamed = unnamedBlobs(await allBlobs(store, c), await keptBodies(store, c));
        blobs =
          (await c.query(`DELETE FROM ${store.table("blobs")} WHERE hash = ANY($1)`, [unnamed])).rowCount ??
          0;
      }
      await c.query(query.dryRun ? "ROLLBACK" : "COMMIT");
      return { runs: deletedRuns, cacheEntries, blobs };
    } catch (e) {
      await c.query("ROLLBACK").catch(() => undefined);
      throw e;
    }
  });
}

/**
 * `PostgresStore.clearCache`: empties the step cache and deletes the stored files nothing left
 * names, in one transaction; resolves with the number of entries removed.
 */
export async function clearCachePostgres(store: PostgresPruneAccess): Promise<number> {
  return store.use(
    "clearing the step cache",
    async (c) => {
      const removed = (await c.query(`DELETE FROM ${store.table("step_cache")}`)).rowCount ?? 0;
      if (removed > 0) {
        // As in a prune: holding the table, no writer can name a blob between the scan and the delete.
        await c.query(`LOCK TABLE ${store.table("blobs")} IN EXCLUSIVE MODE`);
        await c.query(`DELETE FROM ${store.table("blobs")} WHERE hash = ANY($1)`, [
          unnamedBlobs(await allBlobs(store, c), await keptBodies(store, c)),
        ]);
      }
      return removed;
    },
    true,
  );
}
