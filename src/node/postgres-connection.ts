/**
 * A `pg` pool that outlives database restarts: every call runs in its own connection (a
 * transaction when asked) and is retried while the database cannot be reached, for up to
 * `reconnectMs`. A call whose transaction failed is retried whole, so it commits once or not at all.
 */
import pg from "pg";
import { RunNotFoundError, RunStateError, StoreError } from "../core/durable/store.js";
import { redactUrl } from "./postgres-url.js";

/** Error codes of a database that is restarting or cannot be reached. */
const TRANSIENT = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "57P01",
  "57P02",
  "57P03",
  "08000",
  "08001",
  "08003",
  "08004",
  "08006",
]);

/** True for a failure that a reconnect may cure. */
export function isTransient(e: unknown): boolean {
  const code = (e as { code?: unknown })?.code;
  if (typeof code === "string" && TRANSIENT.has(code)) return true;
  const message = (e as Error)?.message ?? "";
  return /Connection terminated|connection timeout|Client has encountered a connection error/i.test(message);
}

// BIGINT columns hold epoch milliseconds: safe integers, read as numbers.
const types = new pg.TypeOverrides();
types.setTypeParser(20, (text: string) => Number(text));

function ignore(): void {}

/** A pool of connections to one database, retried across restarts. */
export class PgConnection {
  readonly pool: pg.Pool;
  readonly label: string;
  readonly #reconnectMs: number;
  #closed = false;

  constructor(url: string, options: { reconnectMs: number; maxConnections: number }) {
    this.label = redactUrl(url);
    this.#reconnectMs = options.reconnectMs;
    this.pool = new pg.Pool({
      connectionString: url,
      max: options.maxConnections,
      types,
      connectionTimeoutMillis: 10_000,
      // No call waits forever on a connection the network lost without a word.
      query_timeout: 30_000,
      idleTimeoutMillis: 30_000,
    });
    // An idle connection the server dropped (a restart) is discarded; the next call reconnects.
    this.pool.on("error", () => undefined);
  }

  /** Runs `body` on one connection (in a transaction when `transaction`), retrying while the database is away. */
  async run<T>(
    what: string,
    body: (client: pg.PoolClient) => Promise<T>,
    transaction = false,
    reconnectMs = this.#reconnectMs,
  ): Promise<T> {
    const start = Date.now();
    for (let round = 0; ; round++) {
      if (this.#closed) throw new StoreError(`${this.label}: ${what}: the store is closed`);
      let client: pg.PoolClient | undefined;
      try {
        client = await this.pool.connect();
        // A connection the server ends while checked out (a restart) errors here, not in the process.
        client.on("error", ignore);
        if (transaction) await client.query("BEGIN");
        const result = await body(client);
        if (transaction) await client.query("COMMIT");
        client.off("error", ignore);
        client.release();
        return result;
      } catch (e) {
        if (client) {
          if (transaction) await client.query("ROLLBACK").catch(() => undefined);
          client.off("error", ignore);
          client.release(isTransient(e) ? (e as Error) : undefined);
        }
        if (e instanceof StoreError || e instanceof RunNotFoundError || e instanceof RunStateError) throw e;
        if (isTransient(e) && !this.#closed && Date.now() - start < reconnectMs) {
          await new Promise((r) => setTimeout(r, Math.min(100 * 2 ** round, 2000)));
          continue;
        }
        throw new StoreError(`${this.label}: ${what} failed: ${(e as Error).message}`);
      }
    }
  }

  /** Closes every connection. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.pool.end().catch(() => undefined);
  }
}
