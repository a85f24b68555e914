/**
 * The `runs` table as both SQL stores keep it (SqliteStore, PostgresStore): a row, what a
 * row says of its run (status, summary, stored run), the owner ids that tell a live run
 * from an interrupted one, and how a step's files are kept (content-addressed blobs).
 */
import { readFileSync } from "node:fs";
import { hostname } from "node:os";
import type { JournalEntry, RunSummary, StoredRunStatus } from "../core/durable/journal.js";
import { type StoredRun, StoreError } from "../core/durable/store.js";
import type { FileChanges } from "../core/file-tree.js";

/** A row of the `runs` table. */
export interface RunRow {
  run_id: string;
  workflow: string;
  status: string;
  created_at: number;
  finished_at: number | null;
  owner: string | null;
  lease_until: number | null;
  definition: string;
  params: string;
  rerun_of: string | null;
  parent_run: string | null;
}

/** File paths to blob hashes (`null`: a directory). */
export type StoredFiles = { upserts: Record<string, string | null>; deletes: string[] };

/** Whether `files` writes any file (most steps write none: their entry is stored as it is). */
export function hasUpserts(files: FileChanges): boolean {
  for (const _ in files.upserts) return true;
  return false;
}

/** An owner id that tells which process holds a run: `host:pid:random`. */
export function processOwner(random: string): string {
  return `${hostname()}:${process.pid}:${random}`;
}

/** False only when the owner is a process on this host that no longer exists (or is a zombie). */
export function ownerAlive(owner: string): boolean {
  const [host, pid] = owner.split(":");
  if (host !== hostname() || !pid || !/^\d+$/.test(pid)) return true;
  try {
    process.kill(Number(pid), 0);
    return !isZombie(pid);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Whether process `pid` has ended but not been reaped: signal 0 still reaches it. A killed
 * CLI stays so while its parent does not wait for it (a container whose first process reaps
 * nothing); its runs are interrupted all the same. Linux only; elsewhere false.
 */
function isZombie(pid: string): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const state = stat.charAt(stat.lastIndexOf(")") + 2);
    return state === "Z" || state === "X";
  } catch {
    return false;
  }
}

/** What a row's status is worked out from. */
export type RowLiveness = Pick<RunRow, "status" | "owner" | "lease_until">;

/** The run's status: a 'running' one whose lease ran out or whose owner is gone is interrupted. */
export function rowStatus(row: RowLiveness): StoredRunStatus {
  if (row.status !== "running") return row.status as StoredRunStatus;
  const expired = row.lease_until === null || row.lease_until <= Date.now();
  return expired || !row.owner || !ownerAlive(row.owner) ? "interrupted" : "running";
}

/** How many of these rows (runs holding a concurrency_key's place) are runs still going. */
export function liveHolders(rows: readonly RowLiveness[]): number {
  let n = 0;
  for (const row of rows) if (rowStatus(row) === "running") n++;
  return n;
}

/** The run of `row` as `listRuns` gives it. */
export function rowSummary(row: RunRow, status: StoredRunStatus): RunSummary {
  return {
    runId: row.run_id,
    workflow: row.workflow,
    status,
    startedAt: row.created_at,
    finishedAt: row.finished_at,
  };
}

/** The stored run of `row` with its journal `entries`. @throws StoreError naming a damaged row. */
export function rowStoredRun(label: string, row: RunRow, entries: JournalEntry[]): StoredRun {
  const runId = row.run_id;
  let workflow: StoredRun["record"]["workflow"];
  let params: StoredRun["record"]["params"];
  try {
    workflow = JSON.parse(row.definition);
    params = JSON.parse(row.params);
  } catch (e) {
    throw new StoreError(`${label}: run ${runId} has a damaged record: ${(e as Error).message}`);
  }
  return {
    record: {
      runId,
      workflow,
      params,
      createdAt: row.created_at,
      ...(row.rerun_of ? { rerunOf: row.rerun_of } : {}),
      ...(row.parent_run ? { parentRun: row.parent_run } : {}),
    },
    status: rowStatus(row),
    finishedAt: row.finished_at,
    owner: row.owner,
    entries,
  };
}
