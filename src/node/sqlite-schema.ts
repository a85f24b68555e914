/**
 * The SQLite store's schema and its migrations, keyed by `PRAGMA user_version`; the file
 * is marked as sandflow's with `PRAGMA application_id`, so another program's database is
 * refused instead of being written into.
 */
import type { DatabaseSync } from "node:sqlite";
import { StoreError } from "../core/durable/store.js";

/** 'SFLW': marks a SQLite file as a sandflow store. */
const APPLICATION_ID = 0x53464c57;

/** The schema version this build writes; a file from a newer one is refused. */
export const SCHEMA_VERSION = 4;

const MIGRATIONS: readonly string[] = [
  `CREATE TABLE runs (
     run_id TEXT PRIMARY KEY,
     workflow TEXT NOT NULL,
     status TEXT NOT NULL,
     created_at INTEGER NOT NULL,
     finished_at INTEGER,
     owner TEXT,
     lease_until INTEGER,
     definition TEXT NOT NULL,
     params TEXT NOT NULL,
     rerun_of TEXT
   );
   CREATE INDEX runs_by_time ON runs (created_at DESC);
   CREATE TABLE events (
     run_id TEXT NOT NULL,
     seq INTEGER NOT NULL,
     body TEXT NOT NULL,
     PRIMARY KEY (run_id, seq)
   ) WITHOUT ROWID;
   CREATE TABLE blobs (hash TEXT PRIMARY KEY, data BLOB NOT NULL) WITHOUT ROWID;
   CREATE TABLE step_cache (
     key TEXT PRIMARY KEY,
     body TEXT NOT NULL,
     created_at INTEGER NOT NULL,
     expires_at INTEGER
   ) WITHOUT ROWID;`,
  // 2: trigger marks (schedules' last fires, events' runs) and signals sent to runs.
  `CREATE TABLE marks (
     key TEXT PRIMARY KEY,
     value TEXT NOT NULL,
     updated_at INTEGER NOT NULL
   ) WITHOUT ROWID;
   CREATE TABLE signals (
     seq INTEGER PRIMARY KEY AUTOINCREMENT,
     run_id TEXT NOT NULL,
     name TEXT NOT NULL,
     signal_id TEXT NOT NULL,
     data TEXT NOT NULL,
     sent_at INTEGER NOT NULL,
     UNIQUE (run_id, name, signal_id)
   );`,
  // 3: the run whose sub-workflow step started a run.
  "ALTER TABLE runs ADD COLUMN parent_run TEXT;",
  // 4: the concurrency_key whose place a run took (max_runs across processes).
  `ALTER TABLE runs ADD COLUMN held_key TEXT;
   CREATE INDEX runs_by_held_key ON runs (held_key) WHERE held_key IS NOT NULL;`,
];

function pragma(db: DatabaseSync, name: string): number {
  const row = db.prepare(`PRAGMA ${name}`).get() as Record<string, number>;
  return Number(row[name]);
}

/**
 * Sets WAL mode and brings the schema up to {@link SCHEMA_VERSION}.
 * @throws StoreError when the file is another program's database or from a newer sandflow.
 */
export function migrate(db: DatabaseSync, file: string): void {
  const appId = pragma(db, "application_id");
  const version = pragma(db, "user_version");
  if (appId !== APPLICATION_ID) {
    const tables = db.prepare("SELECT count(*) AS n FROM sqlite_master").get() as { n: number };
    if (appId !== 0 || tables.n > 0)
      throw new StoreError(`${file} is a SQLite database of another program, not a sandflow store`);
  }
  if (version > SCHEMA_VERSION)
    throw new StoreError(
      `${file} was written by a newer sandflow (store schema ${version}; this one knows up to ${SCHEMA_VERSION}): upgrade sandflow or use another --store`,
    );
  db.exec("PRAGMA journal_mode = WAL");
  db.exec("PRAGMA synchronous = NORMAL");
  if (version === SCHEMA_VERSION) return;
  db.exec("BEGIN IMMEDIATE");
  try {
    // Another process may have migrated while this one waited for the lock.
    const now = pragma(db, "user_version");
    for (let v = now; v < SCHEMA_VERSION; v++) db.exec(MIGRATIONS[v] as string);
    db.exec(`PRAGMA application_id = ${APPLICATION_ID}`);
    db.exec(`PRAGMA user_version = ${SCHEMA_VERSION}`);
    db.exec("COMMIT");
  } catch (e) {
    db.exec("ROLLBACK");
    throw e;
  }
}
