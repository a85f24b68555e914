/**
 * What both SQL stores (SqliteStore, PostgresStore) share of `prune`: which runs may go, and
 * which step-file blobs the rows staying refer to. Blobs are content-addressed and shared
 * between rows, so one is deleted only when no row left names it. Once a prune or a cache
 * clear has deleted rows, every blob is looked at, not only those the deleted rows named: a
 * blob a killed SQLite prune (which deletes in batches) or an earlier `cache clear` left
 * unnamed goes then too.
 */

/**
 * The condition on a `runs` row (`r`) that lets it go: finished (an interrupted run stays
 * `running` in the table and may be resumed) before the cut-off placeholder `before`, and not
 * a sub-workflow run of an unfinished parent (which reads its child's report on resume).
 */
export function prunableRuns(runs: string, before: string): string {
  return `r.status IN ('succeeded', 'failed', 'cancelled') AND r.finished_at < ${before}
    AND NOT EXISTS (SELECT 1 FROM ${runs} p WHERE p.run_id = r.parent_run AND p.status = 'running')`;
}

/**
 * SQL LIKE patterns of the bodies that can name blobs: a journal or cache entry with files
 * (`files.upserts`), a step task with input files (`files`), a task result with changed
 * files (`changes.upserts`). Other bodies name none, so a scan parses only these.
 */
export const WITH_UPSERTS = '%"upserts":{"%';
export const WITH_FILES = '%"files":{"%';

/** The blob hashes a stored body names (see {@link WITH_UPSERTS}). @throws SyntaxError for a damaged body. */
export function blobRefs(body: string): string[] {
  const parsed = JSON.parse(body) as { files?: unknown; changes?: unknown } | null;
  const out: string[] = [];
  const take = (tree: unknown) => {
    if (tree && typeof tree === "object")
      for (const hash of Object.values(tree)) if (typeof hash === "string") out.push(hash);
  };
  const files = parsed?.files;
  // A journal or cache entry's files are changes ({upserts, deletes}); a task's are a tree
  // of paths, which start with '/'.
  if (files && typeof files === "object") take("upserts" in files ? files.upserts : files);
  const changes = parsed?.changes;
  if (changes && typeof changes === "object" && "upserts" in changes) take(changes.upserts);
  return out;
}

/**
 * The blobs (`hashes`, every one the store holds) that no body of `kept` names, to delete. A
 * damaged body kept could name any of them, so then none is deleted.
 */
export function unnamedBlobs(hashes: Iterable<string>, kept: Iterable<string | null>): string[] {
  const left = new Set(hashes);
  for (const body of kept) {
    if (body === null) continue;
    try {
      for (const hash of blobRefs(body)) left.delete(hash);
    } catch {
      return [];
    }
    if (left.size === 0) break;
  }
  return [...left];
}
