/**
 * `PostgresStore.prune`: one transaction that deletes the runs that may go with their events,
 * signals and step tasks, the expired cache entries, then the blobs nothing left names (see
 * store-prune.ts); a dry run rolls it back.
 */

import type { PoolClient } from "pg";
import { CACHE_KEPT, type PruneQuery, type PruneResult } from "../core/durable/store.js";
import { namedBlobs, prunableRuns, unnamedBlobs, WITH_FILES, WITH_UPSERTS } from "./store-prune.js";

/** What the prune needs of a PostgresStore (which imports this file). */
export interface PostgresPruneAccess {
  table(name: string): string;
  use<T>(what: string, body: (client: PoolClient) => Promise<T>, transaction?: boolean): Promise<T>;
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
      const bodies = async (sql: string, args: unknown[]) =>
        ((await c.query(sql, args)).rows as { body: string | null }[]).map((r) => r.body);
      const ids = (
        await c.query(
          `SELECT r.run_id FROM ${runs} r WHERE ${prunableRuns(runs, "$1")} AND ($2::text[] IS NULL OR r.run_id = ANY($2))`,
          [query.finishedBefore, query.runIds ?? null],
        )
      ).rows.map((r: { run_id: string }) => r.run_id);
      const expired = "expires_at IS NOT NULL AND expires_at <= $1";
      const candidates = namedBlobs([
        ...(await bodies(`SELECT body FROM ${events} WHERE run_id = ANY($1) AND body LIKE $2`, [
          ids,
          WITH_UPSERTS,
        ])),
        ...(await bodies(`SELECT body FROM ${cache} WHERE ${expired} AND body LIKE $2`, [now, WITH_UPSERTS])),
        ...(await bodies(`SELECT body FROM ${tasks} WHERE run_id = ANY($1)`, [ids])),
        ...(await bodies(`SELECT result AS body FROM ${tasks} WHERE run_id = ANY($1)`, [ids])),
      ]);
      for (const table of [events, store.table("signals"), tasks])
        await c.query(`DELETE FROM ${table} WHERE run_id = ANY($1)`, [ids]);
      const deletedRuns = (await c.query(`DELETE FROM ${runs} WHERE run_id = ANY($1)`, [ids])).rowCount ?? 0;
      const cacheEntries = (await c.query(`DELETE FROM ${cache} WHERE ${expired}`, [now])).rowCount ?? 0;
      let blobs = 0;
      if (candidates.size > 0) {
        // Writers add a blob in the transaction that records what names it: holding the
        // table, no row this scan misses can name a blob it deletes (a later writer adds it
        // again). A dry run deletes nothing, so it holds nothing up.
        if (!query.dryRun) await c.query(`LOCK TABLE ${store.table("blobs")} IN EXCLUSIVE MODE`);
        const kept = [
          ...(await bodies(`SELECT body FROM ${events} WHERE body LIKE $1`, [WITH_UPSERTS])),
          ...(await bodies(`SELECT body FROM ${cache} WHERE body LIKE $1`, [WITH_UPSERTS])),
          ...(await bodies(`SELECT body FROM ${tasks} WHERE body LIKE $1`, [WITH_FILES])),
          ...(await bodies(`SELECT result AS body FROM ${tasks} WHERE result LIKE $1`, [WITH_UPSERTS])),
        ];
        const unnamed = unnamedBlobs(candidates, kept);
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
 * `PostgresStore.clearCache`: empties the step cache and deletes the stored files only cache
 * entries named, in one transaction; resolves with the number of entries removed.
 */
export async function clearCachePostgres(store: PostgresPruneAccess): Promise<number> {
  const cache = store.table("step_cache");
  const tasks = store.table("step_tasks");
  return store.use(
    "clearing the step cache",
    async (c) => {
      const bodies = async (sql: string) =>
        ((await c.query(sql, [WITH_UPSERTS])).rows as { body: string | null }[]).map((r) => r.body);
      const candidates = namedBlobs(await bodies(`SELECT body FROM ${cache} WHERE body LIKE $1`));
      const removed = (await c.query(`DELETE FROM ${cache}`)).rowCount ?? 0;
      if (candidates.size > 0) {
        // As in a prune: holding the table, no writer can name a blob between the scan and the delete.
        await c.query(`LOCK TABLE ${store.table("blobs")} IN EXCLUSIVE MODE`);
        const kept = [
          ...(await bodies(`SELECT body FROM ${store.table("events")} WHERE body LIKE $1`)),
          ...(await bodies(`SELECT result AS body FROM ${tasks} WHERE result LIKE $1`)),
          ...(
            (await c.query(`SELECT body FROM ${tasks} WHERE body LIKE $1`, [WITH_FILES])).rows as {
              body: string;
            }[]
          ).map((r) => r.body),
        ];
        await c.query(`DELETE FROM ${store.table("blobs")} WHERE hash = ANY($1)`, [
          unnamedBlobs(candidates, kept),
        ]);
      }
      return removed;
    },
    true,
  );
}
