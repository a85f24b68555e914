/**
 * The Postgres store's schema and its migrations. Everything lives in one Postgres schema
 * (`sandflow` by default); its `meta` table holds the schema version. Migrations run on
 * start under an advisory lock, so processes starting together migrate once.
 */
import type { PoolClient } from "pg";
import { StoreError } from "../core/durable/store.js";

/** The schema version this build writes; a database from a newer one is refused. */
export const PG_SCHEMA_VERSION = 3;

/** Arbitrary, fixed: the advisory lock key that serialises migrations. */
const MIGRATION_LOCK = 0x53464c57;

const MIGRATIONS: readonly ((s: string) => string)[] = [
  (s) => `
   CREATE TABLE ${s}.runs (
     run_id TEXT PRIMARY KEY,
     workflow TEXT NOT NULL,
     status TEXT NOT NULL,
     created_at BIGINT NOT NULL,
     finished_at BIGINT,
     owner TEXT,
     lease_until BIGINT,
     definition TEXT NOT NULL,
     params TEXT NOT NULL,
     rerun_of TEXT
   );
   CREATE INDEX runs_by_time ON ${s}.runs (created_at DESC);
   CREATE TABLE ${s}.events (
     run_id TEXT NOT NULL,
     seq INTEGER NOT NULL,
     body TEXT NOT NULL,
     PRIMARY KEY (run_id, seq)
   );
   CREATE TABLE ${s}.blobs (hash TEXT PRIMARY KEY, data BYTEA NOT NULL);
   CREATE TABLE ${s}.step_cache (
     key TEXT PRIMARY KEY,
     body TEXT NOT NULL,
     created_at BIGINT NOT NULL,
     expires_at BIGINT
   );
   CREATE TABLE ${s}.step_tasks (
     task_id TEXT PRIMARY KEY,
     run_id TEXT NOT NULL,
     step_id TEXT NOT NULL,
     attempt INTEGER NOT NULL,
     body TEXT NOT NULL,
     state TEXT NOT NULL,
     claim INTEGER,
     worker TEXT,
     started_at BIGINT,
     result TEXT,
     created_at BIGINT NOT NULL
   );
   CREATE INDEX step_tasks_by_run ON ${s}.step_tasks (run_id, step_id);
   CREATE TABLE ${s}.marks (key TEXT PRIMARY KEY, value TEXT NOT NULL, updated_at BIGINT NOT NULL);
   CREATE TABLE ${s}.signals (
     seq BIGSERIAL PRIMARY KEY,
     run_id TEXT NOT NULL,
     name TEXT NOT NULL,
     signal_id TEXT NOT NULL,
     data TEXT NOT NULL,
     sent_at BIGINT NOT NULL,
     UNIQUE (run_id, name, signal_id)
   );`,
  // 2: the run whose sub-workflow step started a run.
  (s) => `ALTER TABLE ${s}.runs ADD COLUMN parent_run TEXT;`,
  // 3: the concurrency_key whose place a run took (max_runs across processes).
  (s) => `ALTER TABLE ${s}.runs ADD COLUMN held_key TEXT;
   CREATE INDEX runs_by_held_key ON ${s}.runs (held_key) WHERE held_key IS NOT NULL;`,
];

/** A Postgres identifier: letters, digits and underscores, not starting with a digit. */
export function checkSchemaName(name: string): string {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name))
    throw new TypeError(
      `options.schema must be a lowercase Postgres identifier (letters, digits, _), got ${JSON.stringify(name)}`,
    );
  return name;
}

/**
 * Brings the schema up to {@link PG_SCHEMA_VERSION}.
 * @throws StoreError when the database was written by a newer sandflow.
 */
export async function migratePostgres(client: PoolClient, schema: string, label: string): Promise<void> {
  await client.query("BEGIN");
  try {
    await client.query("SELECT pg_advisory_xact_lock($1)", [MIGRATION_LOCK]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    await client.query(
      `CREATE TABLE IF NOT EXISTS ${schema}.meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)`,
    );
    const row = await client.query(`SELECT value FROM ${schema}.meta WHERE key = 'schema_version'`);
    const version = row.rows.length > 0 ? Number(row.rows[0].value) : 0;
    if (version > PG_SCHEMA_VERSION)
      throw new StoreError(
        `${label} was written by a newer sandflow (store schema ${version}; this one knows up to ${PG_SCHEMA_VERSION}): upgrade sandflow`,
      );
    for (let v = version; v < PG_SCHEMA_VERSION; v++)
      await client.query((MIGRATIONS[v] as (s: string) => string)(schema));
    await client.query(
      `INSERT INTO ${schema}.meta (key, value) VALUES ('schema_version', $1)
       ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value`,
      [String(PG_SCHEMA_VERSION)],
    );
    await client.query("COMMIT");
  } catch (e) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw e;
  }
}
