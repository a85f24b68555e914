/**
 * Where durable runs are kept. The core talks to this interface only; the in-memory store
 * (browser, tests), the SQLite store (the CLI's default) and a Postgres store implement it.
 * Every method is async so that a networked store fits; none is called per log line.
 */
import { SandflowError } from "../errors.js";
import type { FileChanges } from "../file-tree.js";
import type { JournalEntry, RunRecord, RunSummary, StoredRunStatus } from "./journal.js";

/** A stored run: its record, its status and its journal. */
export interface StoredRun {
  readonly record: RunRecord;
  readonly status: StoredRunStatus;
  readonly finishedAt: number | null;
  /** The process holding the run, while it runs. */
  readonly owner: string | null;
  readonly entries: readonly JournalEntry[];
}

/** A step result kept by the step cache. */
export interface CachedStep {
  readonly outputJson: string;
  readonly stdout: string;
  readonly stderr: string;
  readonly files: FileChanges;
  /** Epoch milliseconds when the result was made. */
  readonly createdAt: number;
}

/** A signal sent to a run (`sandflow signal`, `POST /api/runs/{id}/signals/{name}`). */
export interface StoredSignal {
  readonly name: string;
  /** Unique per run and name: sending the same id again changes nothing. */
  readonly signalId: string;
  /** The data as JSON text (`null` when none was sent). */
  readonly dataJson: string;
  /** Epoch milliseconds when it was stored. */
  readonly sentAt: number;
}

/** Filters of {@link Store.listRuns}. */
export interface ListRunsQuery {
  readonly status?: StoredRunStatus;
  /** Most runs, newest first. */
  readonly limit: number;
}

/** What {@link Store.prune} deletes. */
export interface PruneQuery {
  /** Finished runs (succeeded, failed, cancelled) that finished before this epoch millisecond go. */
  readonly finishedBefore: number;
  /** Only these runs may go (default: any run). */
  readonly runIds?: readonly string[];
  /** Now, in epoch milliseconds: step-cache entries that expired by then go too (default: the cache stays). */
  readonly now?: number;
  /** Count what would go and change nothing. */
  readonly dryRun?: boolean;
}

/**
 * An epoch millisecond no step-cache entry has expired by: a store prunes the cache with
 * `query.now ?? CACHE_KEPT`, so a prune without `now` leaves the cache alone.
 */
export const CACHE_KEPT = -1;

/** What {@link Store.prune} deleted (or would delete, in a dry run). */
export interface PruneResult {
  /** Runs deleted with their journals and signals. */
  readonly runs: number;
  /** Expired step-cache entries deleted. */
  readonly cacheEntries: number;
  /** Stored step files that nothing kept refers to any more. */
  readonly blobs: number;
}

/** A lease on a run: who holds it and until when (epoch milliseconds). */
export interface Lease {
  readonly owner: string;
  readonly until: number;
}

/** Persistent state of runs. Implementations must commit each call before it resolves. */
export interface Store {
  /** A short label for messages (`sqlite:/path`, `memory`). */
  readonly label: string;
  /** Records a new run held by `lease.owner`. */
  createRun(record: RunRecord, lease: Lease): Promise<void>;
  /**
   * Appends entries to a run's journal in one transaction, in order. A `run-finished`
   * entry also sets the run's status and releases its lease.
   */
  append(runId: string, entries: readonly JournalEntry[]): Promise<void>;
  /** A run with its journal, or `undefined`. */
  getRun(runId: string): Promise<StoredRun | undefined>;
  /** Run ids that start with `prefix` (at most `limit`). */
  findRunIds(prefix: string, limit: number): Promise<string[]>;
  /** Recent runs, newest first. */
  listRuns(query: ListRunsQuery): Promise<RunSummary[]>;
  /**
   * Takes a run that is not finished and whose owner is gone (lease past, or a dead
   * process). Resolves `false` when another live owner holds it or it is finished.
   */
  claimRun(runId: string, lease: Lease): Promise<boolean>;
  /**
   * Takes a place for `runId` among the runs of `key` (`concurrency_key`) unless `max`
   * others hold one: runs not finished whose owner is alive (lease not past, process not
   * gone) and that took a place before. Atomic across the processes sharing the store, so
   * `max_runs` holds across them. Stores only one process uses leave it out: the engine's
   * own queue keeps the limit there.
   */
  admitRun?(runId: string, key: string, max: number): Promise<boolean>;
  /** Extends the leases `owner` holds on these runs. */
  renewLeases(owner: string, runIds: readonly string[], until: number): Promise<void>;
  /** A cached step result for `key` that has not expired at `now`. */
  getCached(key: string, now: number): Promise<CachedStep | undefined>;
  /** Keeps a step result; `expiresAt` null keeps it until the cache is cleared. */
  putCached(key: string, step: CachedStep, expiresAt: number | null): Promise<void>;
  /** Empties the step cache; resolves with the number of results removed. */
  clearCache(): Promise<number>;
  /**
   * Keeps a signal for a run that has not finished, in order of arrival. Resolves `false`
   * when a signal with this name and id was already kept (nothing changes).
   * @throws RunNotFoundError for an unknown run, RunStateError for a finished one.
   */
  sendSignal(runId: string, signal: StoredSignal): Promise<boolean>;
  /** The signals a run was sent, oldest first (of one name when given). */
  listSignals(runId: string, name?: string): Promise<StoredSignal[]>;
  /**
   * A trigger mark: small state a server keeps for its triggers (a schedule's last fire
   * time, the runs an event started), or `undefined`.
   */
  getMark(key: string): Promise<string | undefined>;
  /** Sets a mark. */
  setMark(key: string, value: string): Promise<void>;
  /**
   * Sets a mark unless one is there, atomically; resolves with the value that was there
   * (then nothing changed), or `undefined` when this call set it.
   */
  claimMark(key: string, value: string): Promise<string | undefined>;
  /**
   * Deletes what a store keeps past its use, in one transaction: runs that finished before
   * `query.finishedBefore` with their journals, signals and step tasks (not an unfinished
   * run, which may still be resumed, nor a sub-workflow run whose parent is unfinished),
   * expired step-cache entries, then the step files nothing left refers to.
   */
  prune(query: PruneQuery): Promise<PruneResult>;
  /** Releases the store's resources. */
  close(): Promise<void>;
}

/** A store failed: the file is corrupt, from a newer version, or could not be written. */
export class StoreError extends SandflowError {
  override name = "StoreError";
}

/** A run id (or prefix) that names no run, or more than one. */
export class RunNotFoundError extends SandflowError {
  override name = "RunNotFoundError";
}

/** A run that cannot be resumed as asked: finished, or still held by a live process. */
export class RunStateError extends SandflowError {
  override name = "RunStateError";
}
