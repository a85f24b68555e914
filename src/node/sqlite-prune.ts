/**
 * `SqliteStore.prune`: reads what goes first, then deletes the runs in batches of their own
 * transactions, so a large prune never holds the file's write lock for long (other processes'
 * writes wait for it, up to the busy timeout); then the expired cache entries, then, when
 * anything went, the blobs nothing left names (see store-prune.ts). A dry run only reads.
 */
import type { StatementSync } from "node:sqlite";
import { CACHE_KEPT, type PruneQuery, type PruneResult } from "../core/durable/store.js";
import { prunableRuns, unnamedBlobs, WITH_UPSERTS } from "./store-prune.js";

/** Runs deleted per transaction. */
const PRUNE_BATCH = 500;

/** What the prune needs of a SqliteStore. */
export interface SqlitePruneAccess {
  /** A prepared statement (cached by the store). */
  sql(text: string): StatementSync;
  /** Runs `body` in a write transaction. */
  write<T>(body: () => T): T;
  /** Forgets what the store keeps in memory of a deleted run. */
  forget(runId: string): void;
}

/** Every blob's hash. */
function allBlobs(db: SqlitePruneAccess): string[] {
  return (db.sql("SELECT hash FROM blobs").all() as { hash: string }[]).map((r) => r.hash);
}

/** Prunes the store `db` reaches as {@link PruneQuery} says. */
export function pruneSqlite(db: SqlitePruneAccess, query: PruneQuery): PruneResult {
  const now = query.now ?? CACHE_KEPT;
  const ids = (
    (query.runIds
      ? db
          .sql(
            `SELECT r.run_id AS id FROM runs r WHERE ${prunableRuns("runs", "?")} AND r.run_id IN (SELECT value FROM json_each(?))`,
          )
          .all(query.finishedBefore, JSON.stringify(query.runIds))
      : db
          .sql(`SELECT r.run_id AS id FROM runs r WHERE ${prunableRuns("runs", "?")}`)
          .all(query.finishedBefore)) as { id: string }[]
  ).map((r) => r.id);
  const going = "IN (SELECT value FROM json_each(?))";
  const expired = "expires_at IS NOT NULL AND expires_at <= ?";
  const bodies = (sql: string, ...args: (string | number)[]) =>
    (db.sql(sql).all(...args) as { body: string }[]).map((r) => r.body);
  const all = JSON.stringify(ids);
  // What names blobs besides the runs going (in a dry run they are still there).
  const kept = (goneIds: string): string[] => [
    ...bodies(`SELECT body FROM events WHERE run_id NOT ${going} AND body LIKE ?`, goneIds, WITH_UPSERTS),
    ...bodies(`SELECT body FROM step_cache WHERE NOT (${expired}) AND body LIKE ?`, now, WITH_UPSERTS),
  ];
  if (query.dryRun) {
    const cacheEntries = (
      db.sql(`SELECT count(*) AS n FROM step_cache WHERE ${expired}`).get(now) as {
        n: number;
      }
    ).n;
    const blobs = ids.length + cacheEntries > 0 ? unnamedBlobs(allBlobs(db), kept(all)).length : 0;
    return { runs: ids.length, cacheEntries, blobs };
  }
  let runs = 0;
  for (let at = 0; at < ids.length; at += PRUNE_BATCH) {
    const batch = ids.slice(at, at + PRUNE_BATCH);
    const json = JSON.stringify(batch);
    runs += db.write(() => {
      // A run resumed since it was read is not finished any more: it stays, journal and all.
      const still = JSON.stringify(
        (
          db
            .sql(`SELECT r.run_id AS id FROM runs r WHERE run_id ${going} AND ${prunableRuns("runs", "?")}`)
            .all(json, query.finishedBefore) as { id: string }[]
        ).map((r) => r.id),
      );
      db.sql(`DELETE FROM events WHERE run_id ${going}`).run(still);
      db.sql(`DELETE FROM signals WHERE run_id ${going}`).run(still);
      return Number(db.sql(`DELETE FROM runs WHERE run_id ${going}`).run(still).changes);
    });
    for (const id of batch) db.forget(id);
  }
  const cacheEntries = db.write(() =>
    Number(db.sql(`DELETE FROM step_cache WHERE ${expired}`).run(now).changes),
  );
  // The scan of what names a blob and the delete in one transaction: no write comes between.
  const blobs =
    runs + cacheEntries === 0
      ? 0
      : db.write(() => {
          const unnamed = JSON.stringify(unnamedBlobs(allBlobs(db), kept("[]")));
          return Number(db.sql(`DELETE FROM blobs WHERE hash ${going}`).run(unnamed).changes);
        });
  return { runs, cacheEntries, blobs };
}

/**
 * `SqliteStore.clearCache`: empties the step cache and deletes the stored files nothing left
 * names, in one transaction; resolves with the number of entries removed.
 */
export function clearCacheSqlite(db: SqlitePruneAccess): number {
  return db.write(() => {
    const bodies = (sql: string) => (db.sql(sql).all(WITH_UPSERTS) as { body: string }[]).map((r) => r.body);
    const removed = Number(db.sql("DELETE FROM step_cache").run().changes);
    if (removed > 0) {
      const unnamed = unnamedBlobs(allBlobs(db), bodies("SELECT body FROM events WHERE body LIKE ?"));
      db.sql("DELETE FROM blobs WHERE hash IN (SELECT value FROM json_each(?))").run(JSON.stringify(unnamed));
    }
    return removed;
  });
}
