/**
 * The SQLite store (node:sqlite, built into Node 24): the CLI's default, in
 * `$SANDFLOW_HOME/sandflow.db`. WAL mode, one writer at a time across processes (each
 * write is a short `BEGIN IMMEDIATE` transaction; others wait up to the busy timeout), a
 * scheduler tick's transitions in one transaction. Step files are stored content-addressed.
 */
import { createHash } from "node:crypto";
import { mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { DatabaseSync, type StatementSync } from "node:sqlite";
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
import type { FileChanges } from "../core/file-tree.js";
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
import { clearCacheSqlite, pruneSqlite, type SqlitePruneAccess } from "./sqlite-prune.js";
import { migrate } from "./sqlite-schema.js";

export { ownerAlive, processOwner } from "./run-rows.js";

/** Options of {@link SqliteStore}. */
export interface SqliteStoreOptions {
  /** Milliseconds a write waits for another process's transaction. Default: 10000. */
  readonly busyTimeoutMs?: number;
}

/** Runs, journals, step files and the step cache in one SQLite file. */
export class SqliteStore implements Store {
  readonly label: string;
  readonly #db: DatabaseSync;
  readonly #statements = new Map<string, StatementSync>();
  readonly #nextSeq = new Map<string, number>();

  /** Opens (creating if needed) the store file. @throws StoreError naming the file and what is wrong. */
  constructor(path: string, options: SqliteStoreOptions = {}) {
    const file = resolve(path);
    this.label = file;
    try {
      mkdirSync(dirname(file), { recursive: true });
      this.#db = new DatabaseSync(file, { timeout: options.busyTimeoutMs ?? 10_000 });
    } catch (e) {
      throw new StoreError(`cannot open the store ${file}: ${(e as Error).message}`);
    }
    try {
      migrate(this.#db, file);
    } catch (e) {
      this.#db.close();
      if (e instanceof StoreError) throw e;
      throw new StoreError(`${file} is not a sandflow store, or it is damaged: ${(e as Error).message}`);
    }
  }

  async createRun(record: RunRecord, lease: Lease): Promise<void> {
    this.#write(() => {
      this.#sql(
        "INSERT INTO runs (run_id, workflow, status, created_at, owner, lease_until, definition, params, rerun_of, parent_run) VALUES (?, ?, 'running', ?, ?, ?, ?, ?, ?, ?)",
      ).run(
        record.runId,
        record.workflow.name,
        record.createdAt,
        lease.owner,
        lease.until,
        JSON.stringify(record.workflow),
        JSON.stringify(record.params),
        record.rerunOf ?? null,
        record.parentRun ?? null,
      );
    });
    this.#nextSeq.set(record.runId, 1);
  }

  async append(runId: string, entries: readonly JournalEntry[]): Promise<void> {
    if (entries.length === 0) return;
    this.#write(() => {
      let seq = this.#nextSeq.get(runId);
      if (seq === undefined) {
        const row = this.#sql("SELECT COALESCE(MAX(seq), 0) AS n FROM events WHERE run_id = ?").get(
          runId,
        ) as {
          n: number;
        };
        seq = row.n + 1;
      }
      const insert = this.#sql("INSERT INTO events (run_id, seq, body) VALUES (?, ?, ?)");
      for (const entry of entries) {
        // Most steps leave no files: their entry is stored as it is, with no copy.
        const body =
          entry.type === "step-succeeded" && hasUpserts(entry.files)
            ? { ...entry, files: this.#putFiles(entry.files) }
            : entry;
        insert.run(runId, seq++, JSON.stringify(body));
        if (entry.type === "run-finished")
          this.#sql(
            "UPDATE runs SET status = ?, finished_at = ?, owner = NULL, lease_until = NULL WHERE run_id = ?",
          ).run(entry.status, entry.time, runId);
      }
      this.#nextSeq.set(runId, seq);
    });
  }

  async getRun(runId: string): Promise<StoredRun | undefined> {
    const row = this.#sql("SELECT * FROM runs WHERE run_id = ?").get(runId) as RunRow | undefined;
    if (!row) return undefined;
    const bodies = this.#sql("SELECT seq, body FROM events WHERE run_id = ? ORDER BY seq").all(runId) as {
      seq: number;
      body: string;
    }[];
    const entries = bodies.map(({ seq, body }) => this.#entry(runId, seq, body));
    return rowStoredRun(this.label, row, entries);
  }

  async findRunIds(prefix: string, limit: number): Promise<string[]> {
    const escaped = prefix.replace(/[\\%_]/g, (c) => `\\${c}`);
    const rows = this.#sql(
      "SELECT run_id FROM runs WHERE run_id LIKE ? ESCAPE '\\' ORDER BY run_id LIMIT ?",
    ).all(`${escaped}%`, limit) as { run_id: string }[];
    return rows.map((r) => r.run_id);
  }

  async listRuns(query: ListRunsQuery): Promise<RunSummary[]> {
    const out: RunSummary[] = [];
    // Live and interrupted runs share the stored status 'running': filter after computing it.
    const stored = query.status === "interrupted" ? "running" : query.status;
    const sql = stored
      ? "SELECT * FROM runs WHERE status = ? ORDER BY created_at DESC, run_id"
      : "SELECT * FROM runs ORDER BY created_at DESC, run_id";
    const statement = this.#sql(sql);
    for (const row of (stored ? statement.iterate(stored) : statement.iterate()) as Iterable<RunRow>) {
      const status = rowStatus(row);
      if (query.status && status !== query.status) continue;
      out.push(rowSummary(row, status));
      if (out.length >= query.limit) break;
    }
    return out;
  }

  async claimRun(runId: string, lease: Lease): Promise<boolean> {
    return this.#write(() => {
      const row = this.#sql("SELECT * FROM runs WHERE run_id = ?").get(runId) as RunRow | undefined;
      if (!row || rowStatus(row) !== "interrupted") return false;
      this.#sql("UPDATE runs SET owner = ?, lease_until = ? WHERE run_id = ?").run(
        lease.owner,
        lease.until,
        runId,
      );
      this.#nextSeq.delete(runId);
      return true;
    });
  }

  async admitRun(runId: string, key: string, max: number): Promise<boolean> {
    return this.#write(() => {
      const holders = this.#sql(
        "SELECT status, owner, lease_until FROM runs WHERE held_key = ? AND status = 'running' AND run_id <> ?",
      ).all(key, runId) as unknown as RowLiveness[];
      if (liveHolders(holders) >= max) return false;
      this.#sql("UPDATE runs SET held_key = ? WHERE run_id = ?").run(key, runId);
      return true;
    });
  }

  async renewLeases(owner: string, runIds: readonly string[], until: number): Promise<void> {
    this.#write(() => {
      const update = this.#sql("UPDATE runs SET lease_until = ? WHERE run_id = ? AND owner = ?");
      for (const id of runIds) update.run(until, id, owner);
    });
  }

  async getCached(key: string, now: number): Promise<CachedStep | undefined> {
    const row = this.#sql("SELECT body, expires_at FROM step_cache WHERE key = ?").get(key) as
      | { body: string; expires_at: number | null }
      | undefined;
    if (!row || (row.expires_at !== null && row.expires_at <= now)) return undefined;
    try {
      const body = JSON.parse(row.body) as Omit<CachedStep, "files"> & { files: StoredFiles };
      return { ...body, files: this.#getFiles(body.files) };
    } catch {
      return undefined;
    }
  }

  async putCached(key: string, step: CachedStep, expiresAt: number | null): Promise<void> {
    this.#write(() => {
      const body = JSON.stringify({ ...step, files: this.#putFiles(step.files) });
      this.#sql(
        "INSERT OR REPLACE INTO step_cache (key, body, created_at, expires_at) VALUES (?, ?, ?, ?)",
      ).run(key, body, step.createdAt, expiresAt);
    });
  }

  async clearCache(): Promise<number> {
    return clearCacheSqlite(this.#pruneAccess());
  }

  async sendSignal(runId: string, signal: StoredSignal): Promise<boolean> {
    return this.#write(() => {
      const run = this.#sql("SELECT status FROM runs WHERE run_id = ?").get(runId) as
        | { status: string }
        | undefined;
      if (!run) throw new RunNotFoundError(`no run ${runId}`);
      if (run.status !== "running")
        throw new RunStateError(`run ${runId} has finished (${run.status}): it takes no signals`);
      const inserted = this.#sql(
        "INSERT OR IGNORE INTO signals (run_id, name, signal_id, data, sent_at) VALUES (?, ?, ?, ?, ?)",
      ).run(runId, signal.name, signal.signalId, signal.dataJson, signal.sentAt);
      return Number(inserted.changes) === 1;
    });
  }

  async listSignals(runId: string, name?: string): Promise<StoredSignal[]> {
    const rows = (
      name === undefined
        ? this.#sql("SELECT name, signal_id, data, sent_at FROM signals WHERE run_id = ? ORDER BY seq").all(
            runId,
          )
        : this.#sql(
            "SELECT name, signal_id, data, sent_at FROM signals WHERE run_id = ? AND name = ? ORDER BY seq",
          ).all(runId, name)
    ) as { name: string; signal_id: string; data: string; sent_at: number }[];
    return rows.map((r) => ({ name: r.name, signalId: r.signal_id, dataJson: r.data, sentAt: r.sent_at }));
  }

  async getMark(key: string): Promise<string | undefined> {
    const row = this.#sql("SELECT value FROM marks WHERE key = ?").get(key) as { value: string } | undefined;
    return row?.value;
  }

  async setMark(key: string, value: string): Promise<void> {
    this.#write(() => {
      this.#sql("INSERT OR REPLACE INTO marks (key, value, updated_at) VALUES (?, ?, ?)").run(
        key,
        value,
        Date.now(),
      );
    });
  }

  async claimMark(key: string, value: string): Promise<string | undefined> {
    return this.#write(() => {
      const row = this.#sql("SELECT value FROM marks WHERE key = ?").get(key) as
        | { value: string }
        | undefined;
      if (row) return row.value;
      this.#sql("INSERT INTO marks (key, value, updated_at) VALUES (?, ?, ?)").run(key, value, Date.now());
      return undefined;
    });
  }

  async prune(query: PruneQuery): Promise<PruneResult> {
    return pruneSqlite(this.#pruneAccess(), query);
  }

  #pruneAccess(): SqlitePruneAccess {
    return {
      sql: (text) => this.#sql(text),
      write: (body) => this.#write(body),
      forget: (runId) => this.#nextSeq.delete(runId),
    };
  }

  async close(): Promise<void> {
    if (this.#db.isOpen) this.#db.close();
  }

  #sql(sql: string): StatementSync {
    let statement = this.#statements.get(sql);
    if (!statement) {
      statement = this.#db.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }

  #write<T>(body: () => T): T {
    try {
      this.#db.exec("BEGIN IMMEDIATE");
    } catch (e) {
      throw new StoreError(`${this.label}: cannot write: ${(e as Error).message}`);
    }
    try {
      const result = body();
      this.#db.exec("COMMIT");
      return result;
    } catch (e) {
      if (this.#db.isTransaction) this.#db.exec("ROLLBACK");
      throw e instanceof StoreError || e instanceof RunNotFoundError || e instanceof RunStateError
        ? e
        : new StoreError(`${this.label}: write failed: ${(e as Error).message}`);
    }
  }

  #putFiles(files: FileChanges): StoredFiles {
    const upserts: Record<string, string | null> = {};
    const insert = this.#sql("INSERT OR IGNORE INTO blobs (hash, data) VALUES (?, ?)");
    for (const [path, data] of Object.entries(files.upserts)) {
      if (data === null) {
        upserts[path] = null;
        continue;
      }
      const hash = createHash("sha256").update(data).digest("hex");
      insert.run(hash, data);
      upserts[path] = hash;
    }
    return { upserts, deletes: [...files.deletes] };
  }

  #getFiles(files: StoredFiles): FileChanges {
    const upserts: Record<string, Uint8Array | null> = {};
    const get = this.#sql("SELECT data FROM blobs WHERE hash = ?");
    for (const [path, hash] of Object.entries(files.upserts)) {
      if (hash === null) {
        upserts[path] = null;
        continue;
      }
      const row = get.get(hash) as { data: Uint8Array } | undefined;
      if (!row) throw new StoreError(`${this.label}: the file data ${hash} of ${path} is missing`);
      upserts[path] = row.data;
    }
    return { upserts, deletes: files.deletes };
  }

  #entry(runId: string, seq: number, body: string): JournalEntry {
    try {
      const entry = JSON.parse(body) as JournalEntry;
      if (entry.type === "step-succeeded")
        return { ...entry, files: this.#getFiles(entry.files as unknown as StoredFiles) };
      return entry;
    } catch (e) {
      if (e instanceof StoreError) throw e;
      throw new StoreError(
        `${this.label}: run ${runId}, journal entry ${seq} is damaged: ${(e as Error).message}`,
      );
    }
  }
}
