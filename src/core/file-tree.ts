/**
 * The run workspace as it crosses the host/worker boundary.
 *
 * A step sees the files its ancestors left under `/tmp` and `/workspace`; after the step
 * the runtime reports the whole tree again and {@link diffTrees} turns that into the
 * step's own changes, which the orchestrator stores per step.
 */

/** Absolute path (under `/tmp` or `/workspace`) to file bytes; `null` marks a directory. */
export type FileTree = Record<string, Uint8Array | null>;

/** What one step changed in the workspace. */
export interface FileChanges {
  /** Files and directories created or modified (directories as `null`). */
  readonly upserts: FileTree;
  /** Paths removed (files or directories). */
  readonly deletes: string[];
}

/** The roots a step may write that are carried to its dependents. */
export const WORKSPACE_ROOTS = ["/tmp", "/workspace"] as const;

/** True when `path` is one of the workspace roots or lies below one. */
export function isWorkspacePath(path: string): boolean {
  return WORKSPACE_ROOTS.some((root) => path === root || path.startsWith(`${root}/`));
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The changes that turn `before` into `after`. */
export function diffTrees(before: FileTree, after: FileTree): FileChanges {
  const upserts: FileTree = {};
  const deletes: string[] = [];
  for (const [path, data] of Object.entries(after)) {
    const old = before[path];
    if (old === undefined) upserts[path] = data;
    else if (data === null || old === null) {
      if (data !== old) upserts[path] = data;
    } else if (!sameBytes(old, data)) upserts[path] = data;
  }
  for (const path of Object.keys(before)) if (!(path in after)) deletes.push(path);
  return { upserts, deletes };
}

/** Applies `changes` to `tree` in place (deletes first, then upserts). */
export function applyChanges(tree: FileTree, changes: FileChanges): void {
  for (const path of changes.deletes) delete tree[path];
  for (const [path, data] of Object.entries(changes.upserts)) tree[path] = data;
}

/** What a tree costs against the workspace limit: its file bytes plus every entry's path (so names and empty files are not free). */
export function treeSize(tree: FileTree): number {
  let total = 0;
  for (const path in tree) total += path.length + (tree[path]?.byteLength ?? 0);
  return total;
}

/** True when nothing changed. */
export function isEmptyChange(changes: FileChanges): boolean {
  return changes.deletes.length === 0 && Object.keys(changes.upserts).length === 0;
}
