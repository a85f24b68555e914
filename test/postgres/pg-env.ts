/** The suite's database, from the global setup; tests skip (with the setup's message) without one. */
import { randomUUID } from "node:crypto";
import { inject } from "vitest";
import { PostgresStore } from "../../src/node/postgres-store.js";

/** The database URL, or "" when the suite has none. */
export const PG_URL = inject("pgUrl");
/** The command that restarts the database, or "" when the suite did not start it. */
export const PG_RESTART = inject("pgRestart");

/** A fresh Postgres schema name, so each test starts from an empty store. */
export function freshSchema(): string {
  return `t_${randomUUID().replaceAll("-", "").slice(0, 16)}`;
}

/** A store on a fresh schema of the suite's database. */
export function freshStore(schema = freshSchema()): PostgresStore {
  return new PostgresStore(PG_URL, { schema });
}
