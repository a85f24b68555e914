/**
 * A {@link Store} in memory: the default of the browser and of engines made without a
 * store; runs last as long as the engine object, and only the most recent finished runs
 * are kept (a long-lived engine must not grow without end). A run is interrupted only when
 * its lease passes (the owner is this process, which cannot die without the store).
 */
import type { JournalEntry, RunRecord, RunSummary, StoredRunStatus } from "./journal.js";
import {
  CACHE_KEPT,
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
} from "./store.js";

interface MemoryRun {
  readonly record: RunRecord;
  status: "running" | "succeeded" | "failed" | "cancelled";
  finishedAt: number | null;
  lease: Lease | null;
  readonly entries: JournalEntry[];
  readonly signals: StoredSignal[];
}

/** Options of {@link MemoryStore}. */
export interface MemoryStoreOptions {
  /** Finished runs kept; the oldest are dropped past it. Default: 100. */
  readonly maxFinishedRuns?: number;
  /**
   * Journal entries of finished runs kept (about two per step); the oldest finished runs are
   * dropped past it, though the latest one is always kept. Default: 20,000.
   */
  readonly maxFinishedEntries?: number;
  /** Step results kept in the cache; the oldest are dropped past it. Default: 1000. */
  readonly maxCached?: number;
  /** Trigger marks kept; the oldest are dropped past it. Default: 10,000. */
  readonly maxMarks?: number;
  /** The clock leases are judged by. Default: `Date.now`. */
  readonly now?: () => number;
}

/** Keeps runs, journals and the step cache in memory. */
export class MemoryStore implements Store {
  readonly label = "memory";
  readonly #runs = new Map<string, MemoryRun>();
  readonly #finished: string[] = [];
  readonly #cache = new Map<string, { step: CachedStep; expiresAt: number | null }>();
  readonly #now: () => number;
  readonly #maxFinished: number;
  readonly #maxFinishedEntries: number;
  #finishedEntries = 0;
  readonly #maxCached: number;
  readonly #marks = new Map<string, string>();
  readonly #maxMarks: number;

  /** @throws TypeError naming a bad option. */
  constructor(options: MemoryStoreOptions = {}) {
    this.#now = options.now ?? (() => Date.now());
    this.#maxFinished = options.maxFinishedRuns ?? 100;
    this.#maxFinishedEntries = options.maxFinishedEntries ?? 20_000;
    this.#maxCached = options.maxCached ?? 1000;
    this.#maxMarks = options.maxMarks ?? 10_000;
    for (const [name, value] of [
      ["maxFinishedRuns", this.#maxFinished],
      ["maxFinishedEntries", this.#maxFinishedEntries],
      ["maxCached", this.#maxCached],
      ["maxMarks", this.#maxMarks],
    ] as const)
      if (!Number.isInteger(value) || value < 0)
        throw new TypeError(`options.${name} must be a non-negative integer, got ${JSON.stringify(value)}`);
  }

  async createRun(record: RunRecord, lease: Lease): Promise<void> {
    if (this.#runs.has(record.runId)) throw new Error(`run ${record.runId} already exists`);
    this.#runs.set(record.runId, {
      record,
      status: "running",
      finishedAt: null,
      lease,
      entries: [],
      signals: [],
    });
  }

  async append(runId: string, entries: readonly JournalEntry[]): Promise<void> {
    const run = this.#run(runId);
    for (const entry of entries) {
      run.entries.push(entry);
      if (entry.type === "run-finished" && run.status === "running") {
        run.status = entry.status;
        run.finishedAt = entry.time;
        run.lease = null;
        this.#finished.push(runId);
        this.#finishedEntries += run.entries.length;
        this.#dropOldFinished();
      }
    }
  }

  #dropOldFinished(): void {
    while (
      this.#finished.length > this.#maxFinished ||
      (this.#finished.length > 1 && this.#finishedEntries > this.#maxFinishedEntries)
    ) {
      const id = this.#finished.shift() as string;
      this.#finishedEntries -= this.#runs.get(id)?.entries.length ?? 0;
      this.#runs.delete(id);
    }
  }

  async getRun(runId: string): Promise<StoredRun | undefined> {
    const run = this.#runs.get(runId);
    if (!run) return undefined;
    return {
      record: run.record,
      status: this.#status(run),
      finishedAt: run.finishedAt,
      owner: run.lease?.owner ?? null,
      entries: [...run.entries],
    };
  }

  async findRunIds(prefix: string, limit: number): Promise<string[]> {
    const found: string[] = [];
    for (const id of this.#runs.keys()) if (id.startsWith(prefix) && found.length < limit) found.push(id);
    return found;
  }

  async listRuns(query: ListRunsQuery): Promise<RunSummary[]> {
    const all = [...this.#runs.values()].map(
      (run): RunSummary => ({
        runId: run.record.runId,
        workflow: run.record.workflow.name,
        status: this.#status(run),
        startedAt: run.record.createdAt,
        finishedAt: run.finishedAt,
      }),
    );
    all.sort((a, b) => b.startedAt - a.startedAt);
    return all.filter((r) => !query.status || r.status === query.status).slice(0, query.limit);
  }

  async claimRun(runId: string, lease: Lease): Promise<boolean> {
    const run = this.#runs.get(runId);
    if (!run || this.#status(run) !== "interrupted") return false;
    run.lease = lease;
    return true;
  }

  async renewLeases(owner: string, runIds: readonly string[], until: number): Promise<void> {
    for (const id of runIds) {
      const run = this.#runs.get(id);
      if (run?.lease?.owner === owner) run.lease = { owner, until };
    }
  }

  async getCached(key: string, now: number): Promise<CachedStep | undefined> {
    const hit = this.#cache.get(key);
    if (!hit) return undefined;
    if (hit.expiresAt !== null && hit.expiresAt <= now) {
      this.#cache.delete(key);
      return undefined;
    }
    return hit.step;
  }

  async putCached(key: string, step: CachedStep, expiresAt: number | null): Promise<void> {
    this.#cache.delete(key);
    this.#cache.set(key, { step, expiresAt });
    // Maps keep insertion order: the first key is the oldest.
    while (this.#cache.size > this.#maxCached) this.#cache.delete(this.#cache.keys().next().value as string);
  }

  async clearCache(): Promise<number> {
    const n = this.#cache.size;
    this.#cache.clear();
    return n;
  }

  async sendSignal(runId: string, signal: StoredSignal): Promise<boolean> {
    const run = this.#runs.get(runId);
    if (!run) throw new RunNotFoundError(`no run ${runId}`);
    if (run.status !== "running")
      throw new RunStateError(`run ${runId} has finished (${run.status}): it takes no signals`);
    if (run.signals.some((x) => x.name === signal.name && x.signalId === signal.signalId)) return false;
    run.signals.push(signal);
    return true;
  }

  async listSignals(runId: string, name?: string): Promise<StoredSignal[]> {
    const signals = this.#runs.get(runId)?.signals ?? [];
    return signals.filter((x) => name === undefined || x.name === name);
  }

  async getMark(key: string): Promise<string | undefined> {
    return this.#marks.get(key);
  }

  async setMark(key: string, value: string): Promise<void> {
    this.#marks.delete(key);
    this.#marks.set(key, value);
    for (const oldest of this.#marks.keys()) {
      if (this.#marks.size <= this.#maxMarks) break;
      this.#marks.delete(oldest);
    }
  }

  async claimMark(key: string, value: string): Promise<string | undefined> {
    const there = this.#marks.get(key);
    if (there !== undefined) return there;
    await this.setMark(key, value);
    return undefined;
  }

  async prune(query: PruneQuery): Promise<PruneResult> {
    const only = query.runIds === undefined ? undefined : new Set(query.runIds);
    const doomed = [...this.#runs.values()].filter((run) => {
      if (run.status === "running" || (run.finishedAt ?? Number.POSITIVE_INFINITY) >= query.finishedBefore)
        return false;
      if (only && !only.has(run.record.runId)) return false;
      const parent = run.record.parentRun === undefined ? undefined : this.#runs.get(run.record.parentRun);
      return parent?.status !== "running";
    });
    const now = query.now ?? CACHE_KEPT;
    const expired = [...this.#cache].filter(([, hit]) => hit.expiresAt !== null && hit.expiresAt <= now);
    if (!query.dryRun) {
      for (const run of doomed) {
        this.#runs.delete(run.record.runId);
        const at = this.#finished.indexOf(run.record.runId);
        if (at >= 0) this.#finished.splice(at, 1);
        this.#finishedEntries -= run.entries.length;
      }
      for (const [key] of expired) this.#cache.delete(key);
    }
    // Step files live in their journal entries here: nothing else to free.
    return { runs: doomed.length, cacheEntries: expired.length, blobs: 0 };
  }

  async close(): Promise<void> {}

  #run(runId: string): MemoryRun {
    const run = this.#runs.get(runId);
    if (!run) throw new Error(`run ${runId} is not in the store; create it first`);
    return run;
  }

  #status(run: MemoryRun): StoredRunStatus {
    if (run.status !== "running") return run.status;
    return run.lease && run.lease.until > this.#now() ? "running" : "interrupted";
  }
}
