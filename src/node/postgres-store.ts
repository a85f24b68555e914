/**
 * The Postgres store: runs, journals, step files (content-addressed) and the step cache in
 * one Postgres schema, shared by every process of a scale-out deployment (orchestrators
 * and workers). The schema is migrated on first use. Calls survive a database restart
 * (see {@link PgConnection}).
 */
import { createHash } from "node:crypto";
import type { PoolClient } from "pg";
import type { JournalEntry, RunRecord, RunSummary } from "../core/durable/journal.js";
import {
  type CachedStep,
  type Lease,
  type ListRunsQuery,
  type PruneQuery,
  type PruneResult,
  RunNotFoundError,
  RunStateError,
  type Store,
  type StoredRun,
  type StoredSignal,
  StoreError,
} from "../core/durable/store.js";
import type { FileChanges, FileTree } from "../core/file-tree.js";
import { PgConnection } from "./postgres-connection.js";
import { clearCachePostgres, prunePostgres } from "./postgres-prune.js";
import { checkSchemaName, migratePostgres } from "./postgres-schema.js";
import {
  hasUpserts,
  liveHolders,
  type RowLiveness,
  type RunRow,
  rowStatus,
  rowStoredRun,
  rowSummary,
  type StoredFiles,
} from "./run-rows.js";

/** The first key of the advisory locks that serialise admissions to a concurrency_key ('SFAD'). */
const ADMISSION_LOCK = 0x53464144;

/** Options of {@link PostgresStore}. */
export interface PostgresStoreOptions {
  /** The Postgres schema sandflow's tables live in. Default: `"sandflow"`. */
  readonly schema?: string;
  /** Milliseconds a call keeps retrying while the database cannot be reached. Default: 60000. */
  readonly reconnectMs?: number;
  /** Most connections this process opens. Default: 10. */
  readonly maxConnections?: number;
}

function checkOptions(options: PostgresStoreOptions): Required<PostgresStoreOptions> {
  const reconnectMs = options.reconnectMs ?? 60_000;
  if (!Number.isFinite(reconnectMs) || reconnectMs < 0)
    throw new TypeError(`options.reconnectMs must be a non-negative number, got ${reconnectMs}`);
  const maxConnections = options.maxConnections ?? 10;
  if (!Number.isInteger(maxConnections) || maxConnections < 1)
    throw new TypeError(`options.maxConnections must be a positive integer, got ${maxConnections}`);
  return { schema: checkSchemaName(options.schema ?? "sandflow"), reconnectMs, maxConnections };
}

/** Runs and their journals in Postgres. */
export class PostgresStore implements Store {
  readonly label: string;
  /** The database URL (with its password, if any). */
  readonly url: string;
  /** The Postgres schema of the tables. */
  readonly schema: string;
  readonly #db: PgConnection;
  readonly #reconnectMs: number;
  #ready: Promise<void> | undefined;

  /** Connects lazily: the first call connects and migrates. @throws TypeError naming a bad option. */
  constructor(url: string, options: PostgresStoreOptions = {}) {
    const resolved = checkOptions(options);
    this.url = url;
    this.schema = resolved.schema;
    this.#db = new PgConnection(url, resolved);
    this.#reconnectMs = resolved.reconnectMs;
    this.label = this.#db.label;
  }

  /** Connects and migrates the schema; resolves once the store can be used. @throws StoreError */
  ready(): Promise<void> {
    // The first connection fails fast (a wrong URL is more likely than a restart); later calls ride restarts out.
    this.#ready ??= this.#db.run(
      "connecting and migrating the schema",
      (c) => migratePostgres(c, this.schema, this.label),
      false,
      Math.min(5000, this.#reconnectMs),
    );
    return this.#ready;
  }

  /**
   * Runs `body` on a connection (in a transaction when asked), after the schema is ready.
   * @internal For the step queue, which shares the store's tables and connections.
   */
  async use<T>(what: string, body: (client: PoolClient) => Promise<T>, transaction = false): Promise<T> {
    await this.ready();
    return this.#db.run(what, body, transaction);
  }

  /** A table name qualified with the schema. */
  table(name: string): string {
    return `${this.schema}.${name}`;
  }

  async createRun(record: RunRecord, lease: Lease): Promise<void> {
    await this.use("creating a run", (c) =>
      c.query(
        `INSERT INTO ${this.table("runs")} (run_id, workflow, status, created_at, owner, lease_until, definition, params, rerun_of, parent_run)
         VALUES ($1, $2, 'running', $3, $4, $5, $6, $7, $8, $9)`,
        [
          record.runId,
          record.workflow.name,
          record.createdAt,
          lease.owner,
          lease.until,
          JSON.stringify(record.workflow),
          JSON.stringify(record.params),
          record.rerunOf ?? null,
          record.parentRun ?? null,
        ],
      ),
    );
  }

  async append(runId: string, entries: readonly JournalEntry[]): Promise<void> {
    if (entries.length === 0) return;
    await this.use(
      `appending to run ${runId}`,
      async (c) => {
        // The run's row lock orders appends of two processes (an orchestrator taking over).
        await c.query(`SELECT 1 FROM ${this.table("runs")} WHERE run_id = $1 FOR UPDATE`, [runId]);
        const max = await c.query(
          `SELECT COALESCE(MAX(seq), 0) AS n FROM ${this.table("events")} WHERE run_id = $1`,
          [runId],
        );
        let seq = Number(max.rows[0].n) + 1;
        const seqs: number[] = [];
        const bodies: string[] = [];
        for (const entry of entries) {
          const body =
            entry.type === "step-succeeded" && hasUpserts(entry.files)
              ? { ...entry, files: await this.putFiles(c, entry.files) }
              : entry;
          seqs.push(seq++);
          bodies.push(JSON.stringify(body));
        }
        await c.query(
          `INSERT INTO ${this.table("events")} (run_id, seq, body) SELECT $1, * FROM unnest($2::int[], $3::text[])`,
          [runId, seqs, bodies],
        );
        const finish = entries.find((e) => e.type === "run-finished");
        if (finish)
          await c.query(
            `UPDATE ${this.table("runs")} SET status = $1, finished_at = $2, owner = NULL, lease_until = NULL WHERE run_id = $3`,
            [finish.status, finish.time, runId],
          );
      },
      true,
    );
  }

  async getRun(runId: string): Promise<StoredRun | undefined> {
    return this.use(`reading run ${runId}`, async (c) => {
      const row = (await c.query(`SELECT * FROM ${this.table("runs")} WHERE run_id = $1`, [runId])).rows[0] as
        | RunRow
        | undefined;
      if (!row) return undefined;
      const bodies = await c.query(
        `SELECT seq, body FROM ${this.table("events")} WHERE run_id = $1 ORDER BY seq`,
        [runId],
      );
      const parsed = bodies.rows.map(({ seq, body }) => this.#parseEntry(runId, seq, body));
      const hashes = parsed.flatMap((e) =>
        e.type === "step-succeeded" ? Object.values((e.files as unknown as StoredFiles).upserts) : [],
      );
      const blobs = await this.getBlobs(c, hashes);
      const entries = parsed.map((e) =>
        e.type === "step-succeeded"
          ? { ...e, files: this.filesFrom(e.files as unknown as StoredFiles, blobs, `run ${runId}`) }
          : e,
      );
      return rowStoredRun(this.label, row, entries);
    });
  }

  async findRunIds(prefix: string, limit: number): Promise<string[]> {
    const escaped = prefix.replace(/[\\%_]/g, (ch) => `\\${ch}`);
    const rows = await this.use("finding runs", (c) =>
      c.query(
        `SELECT run_id FROM ${this.table("runs")} WHERE run_id LIKE $1 ESCAPE '\\' ORDER BY run_id LIMIT $2`,
        [`${escaped}%`, limit],
      ),
    );
    return rows.rows.map((r) => r.run_id as string);
  }

  async listRuns(query: ListRunsQuery): Promise<RunSummary[]> {
    // Live and interrupted runs share the stored status 'running': filter after computing it.
    const stored = query.status === "interrupted" ? "running" : query.status;
    const rows = await this.use("listing runs", (c) =>
      stored
        ? c.query(`SELECT * FROM ${this.table("runs")} WHERE status = $1 ORDER BY created_at DESC, run_id`, [
            stored,
          ])
        : c.query(`SELECT * FROM ${this.table("runs")} ORDER BY created_at DESC, run_id LIMIT $1`, [
            query.limit,
          ]),
    );
    const out: RunSummary[] = [];
    for (const row of rows.rows as RunRow[]) {
      const s = rowStatus(row);
      if (query.status && s !== query.status) continue;
      out.push(rowSummary(row, s));
      if (out.length >= query.limit) break;
    }
    return out;
  }

  async claimRun(runId: string, lease: Lease): Promise<boolean> {
    return this.use(
      `claiming run ${runId}`,
      async (c) => {
        const row = (
          await c.query(`SELECT * FROM ${this.table("runs")} WHERE run_id = $1 FOR UPDATE`, [runId])
        ).rows[0] as RunRow | undefined;
        if (!row || rowStatus(row) !== "interrupted") return false;
        await c.query(`UPDATE ${this.table("runs")} SET owner = $1, lease_until = $2 WHERE run_id = $3`, [
          lease.owner,
          lease.until,
          runId,
        ]);
        return true;
      },
      true,
    );
  }

  async admitRun(runId: string, key: string, max: number): Promise<boolean> {
    return this.use(
      `admitting run ${runId}`,
      async (c) => {
        // One admission per key at a time: counting and taking must not interleave.
        await c.query("SELECT pg_advisory_xact_lock($1, hashtext($2))", [ADMISSION_LOCK, key]);
        const holders = (
          await c.query(
            `SELECT status, owner, lease_until FROM ${this.table("runs")} WHERE held_key = $1 AND status = 'running' AND run_id <> $2`,
            [key, runId],
          )
        ).rows as RowLiveness[];
        if (liveHolders(holders) >= max) return false;
        await c.query(`UPDATE ${this.table("runs")} SET held_key = $1 WHERE run_id = $2`, [key, runId]);
        return true;
      },
      true,
    );
  }

  async renewLeases(owner: string, runIds: readonly string[], until: number): Promise<void> {
    await this.use("renewing leases", (c) =>
      c.query(
        `UPDATE ${this.table("runs")} SET lease_until = $1 WHERE owner = $2 AND run_id = ANY($3::text[])`,
        [until, owner, [...runIds]],
      ),
    );
  }

  async getCached(key: string, now: number): Promise<CachedStep | undefined> {
    return this.use("reading the step cache", async (c) => {
      const row = (
        await c.query(`SELECT body, expires_at FROM ${this.table("step_cache")} WHERE key = $1`, [key])
      ).rows[0] as { body: string; expires_at: number | null } | undefined;
      if (!row || (row.expires_at !== null && row.expires_at <= now)) return undefined;
      let body: Omit<CachedStep, "files"> & { files: StoredFiles };
      try {
        body = JSON.parse(row.body);
      } catch {
        return undefined;
      }
      const blobs = await this.getBlobs(c, Object.values(body.files.upserts));
      return { ...body, files: this.filesFrom(body.files, blobs, `cached step ${key}`) };
    });
  }

  async putCached(key: string, step: CachedStep, expiresAt: number | null): Promise<void> {
    await this.use(
      "writing the step cache",
      async (c) => {
        const body = JSON.stringify({ ...step, files: await this.putFiles(c, step.files) });
        await c.query(
          `INSERT INTO ${this.table("step_cache")} (key, body, created_at, expires_at) VALUES ($1, $2, $3, $4)
           ON CONFLICT (key) DO UPDATE SET body = EXCLUDED.body, created_at = EXCLUDED.created_at, expires_at = EXCLUDED.expires_at`,
          [key, body, step.createdAt, expiresAt],
        );
      },
      true,
    );
  }

  async clearCache(): Promise<number> {
    return clearCachePostgres(this);
  }

  async sendSignal(runId: string, signal: StoredSignal): Promise<boolean> {
    return this.use(
      `sending a signal to run ${runId}`,
      async (c) => {
        const run = (
          await c.query(`SELECT status FROM ${this.table("runs")} WHERE run_id = $1 FOR UPDATE`, [runId])
        ).rows[0] as { status: string } | undefined;
        if (!run) throw new RunNotFoundError(`no run ${runId}`);
        if (run.status !== "running")
          throw new RunStateError(`run ${runId} has finished (${run.status}): it takes no signals`);
        const inserted = await c.query(
          `INSERT INTO ${this.table("signals")} (run_id, name, signal_id, data, sent_at) VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (run_id, name, signal_id) DO NOTHING`,
          [runId, signal.name, signal.signalId, signal.dataJson, signal.sentAt],
        );
        return inserted.rowCount === 1;
      },
      true,
    );
  }

  async listSignals(runId: string, name?: string): Promise<StoredSignal[]> {
    const rows = await this.use(`reading the signals of run ${runId}`, (c) =>
      name === undefined
        ? c.query(
            `SELECT name, signal_id, data, sent_at FROM ${this.table("signals")} WHERE run_id = $1 ORDER BY seq`,
            [runId],
          )
        : c.query(
            `SELECT name, signal_id, data, sent_at FROM ${this.table("signals")} WHERE run_id = $1 AND name = $2 ORDER BY seq`,
            [runId, name],
          ),
    );
    return (rows.rows as { name: string; signal_id: string; data: string; sent_at: number }[]).map((r) => ({
      name: r.name,
      signalId: r.signal_id,
      dataJson: r.data,
      sentAt: r.sent_at,
    }));
  }

  async getMark(key: string): Promise<string | undefined> {
    const rows = await this.use("reading a trigger mark", (c) =>
      c.query(`SELECT value FROM ${this.table("marks")} WHERE key = $1`, [key]),
    );
    return (rows.rows[0] as { value: string } | undefined)?.value;
  }

  async setMark(key: string, value: string): Promise<void> {
    await this.use("writing a trigger mark", (c) =>
      c.query(
        `INSERT INTO ${this.table("marks")} (key, value, updated_at) VALUES ($1, $2, $3)
         ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated_at = EXCLUDED.updated_at`,
        [key, value, Date.now()],
      ),
    );
  }

  async claimMark(key: string, value: string): Promise<string | undefined> {
    return this.use("claiming a trigger mark", async (c) => {
      const inserted = await c.query(
        `INSERT INTO ${this.table("marks")} (key, value, updated_at) VALUES ($1, $2, $3) ON CONFLICT (key) DO NOTHING`,
        [key, value, Date.now()],
      );
      if (inserted.rowCount === 1) return undefined;
      const row = await c.query(`SELECT value FROM ${this.table("marks")} WHERE key = $1`, [key]);
      return (row.rows[0] as { value: string } | undefined)?.value;
    });
  }

  async prune(query: PruneQuery): Promise<PruneResult> {
    return prunePostgres(this, query);
  }

  async close(): Promise<void> {
    await this.#db.close();
  }

  /** Stores file contents content-addressed; returns the paths with their hashes. @internal */
  async putFiles(c: PoolClient, files: FileChanges): Promise<StoredFiles> {
    return { upserts: await this.putTree(c, files.upserts), deletes: [...files.deletes] };
  }

  /** Stores a file tree's contents content-addressed. @internal */
  async putTree(c: PoolClient, tree: FileTree): Promise<Record<string, string | null>> {
    const upserts: Record<string, string | null> = {};
    const hashes: string[] = [];
    const datas: Buffer[] = [];
    for (const [path, data] of Object.entries(tree)) {
      if (data === null) {
        upserts[path] = null;
        continue;
      }
      const hash = createHash("sha256").update(data).digest("hex");
      upserts[path] = hash;
      hashes.push(hash);
      datas.push(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
    }
    if (hashes.length > 0)
      await c.query(
        `INSERT INTO ${this.table("blobs")} (hash, data) SELECT * FROM unnest($1::text[], $2::bytea[]) ON CONFLICT (hash) DO NOTHING`,
        [hashes, datas],
      );
    return upserts;
  }

  /** The contents of these blobs, by hash. @internal */
  async getBlobs(c: PoolClient, hashes: readonly (string | null)[]): Promise<Map<string, Uint8Array>> {
    const wanted = [...new Set(hashes.filter((h): h is string => h !== null))];
    const out = new Map<string, Uint8Array>();
    if (wanted.length === 0) return out;
    const rows = await c.query(`SELECT hash, data FROM ${this.table("blobs")} WHERE hash = ANY($1::text[])`, [
      wanted,
    ]);
    for (const r of rows.rows as { hash: string; data: Buffer }[])
      out.set(r.hash, new Uint8Array(r.data.buffer, r.data.byteOffset, r.data.byteLength));
    return out;
  }

  /** A file tree from stored hashes. @internal @throws StoreError when a blob is missing. */
  treeFrom(upserts: Record<string, string | null>, blobs: Map<string, Uint8Array>, where: string): FileTree {
    const tree: FileTree = {};
    for (const [path, hash] of Object.entries(upserts)) {
      if (hash === null) {
        tree[path] = null;
        continue;
      }
      const data = blobs.get(hash);
      if (!data) throw new StoreError(`${this.label}: ${where}: the file data ${hash} of ${path} is missing`);
      tree[path] = data;
    }
    return tree;
  }

  /** File changes from stored hashes. @internal */
  filesFrom(files: StoredFiles, blobs: Map<string, Uint8Array>, where: string): FileChanges {
    return { upserts: this.treeFrom(files.upserts, blobs, where), deletes: files.deletes };
  }

  #parseEntry(runId: string, seq: number, body: string): JournalEntry {
    try {
      return JSON.parse(body) as JournalEntry;
    } catch (e) {
      throw new StoreError(
        `${this.label}: run ${runId}, journal entry ${seq} is damaged: ${(e as Error).message}`,
      );
    }
  }
}
