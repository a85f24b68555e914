/**
 * Gives the Postgres suite a database: $PGURL when set (with $SANDFLOW_PG_RESTART, the
 * command that restarts it, for the restart test), else a throw-away cluster started with
 * scripts/pg-test-cluster.sh (stopped at the end). Without either, the suite is
 * skipped with a message saying why.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import pg from "pg";
import type { TestProject } from "vitest/node";

const SCRIPT = join(import.meta.dirname, "..", "..", "scripts", "pg-test-cluster.sh");
const DIR = "/tmp/sandflow-pg-test";
const PORT = "54329";

function hasBinaries(): boolean {
  try {
    execFileSync("sh", ["-c", "command -v initdb"], { stdio: "ignore" });
    return true;
  } catch {
    return (
      existsSync("/usr/lib/postgresql") &&
      readdirSync("/usr/lib/postgresql").some((v) => existsSync(`/usr/lib/postgresql/${v}/bin/initdb`))
    );
  }
}

declare module "vitest" {
  export interface ProvidedContext {
    /** The database URL, or "" when there is none. */
    pgUrl: string;
    /** The command that restarts the database, or "" when the suite did not start it. */
    pgRestart: string;
  }
}

/** Drops the schemas the tests made (`t_<16 hex>`, and pg-boss's `t_<16 hex>_queue`). */
async function dropTestSchemas(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  try {
    await client.connect();
    const rows = await client.query(
      "SELECT nspname FROM pg_namespace WHERE nspname ~ '^t_[0-9a-f]{16}(_queue)?$'",
    );
    for (const { nspname } of rows.rows) await client.query(`DROP SCHEMA ${nspname} CASCADE`);
  } finally {
    await client.end().catch(() => undefined);
  }
}

export default function setup(project: TestProject): (() => Promise<void>) | undefined {
  const given = process.env.PGURL;
  if (given) {
    project.provide("pgUrl", given);
    project.provide("pgRestart", process.env.SANDFLOW_PG_RESTART ?? "");
    return () => dropTestSchemas(given);
  }
  if (!hasBinaries()) {
    process.stderr.write(
      "\n*** test:postgres SKIPPED: no $PGURL and no PostgreSQL binaries (apt-get install postgresql) ***\n\n",
    );
    project.provide("pgUrl", "");
    project.provide("pgRestart", "");
    return undefined;
  }
  const url = execFileSync("bash", [SCRIPT, "start", DIR, PORT], { encoding: "utf8" }).trim();
  project.provide("pgUrl", url);
  project.provide("pgRestart", `bash ${SCRIPT} restart ${DIR} ${PORT}`);
  return async () => {
    await dropTestSchemas(url).catch(() => undefined);
    execFileSync("bash", [SCRIPT, "stop", DIR, PORT], { stdio: "ignore" });
  };
}
