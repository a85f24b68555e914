/** Mirrors the run workspace (/tmp and /workspace) into an Emscripten in-memory file system. */
import { type FileTree, isWorkspacePath, WORKSPACE_ROOTS } from "../fs/file-tree.js";

/** The parts of Emscripten's FS used here. */
export interface EmscriptenFS {
  readdir(path: string): string[];
  stat(path: string): { mode: number };
  lstat(path: string): { mode: number; size: number };
  isDir(mode: number): boolean;
  isFile(mode: number): boolean;
  readFile(path: string): Uint8Array;
  writeFile(path: string, data: Uint8Array): void;
  mkdirTree(path: string): void;
  unlink(path: string): void;
  rmdir(path: string): void;
}

function removeBelow(fs: EmscriptenFS, dir: string): void {
  for (const name of fs.readdir(dir)) {
    if (name === "." || name === "..") continue;
    const path = `${dir}/${name}`;
    if (fs.isDir(fs.lstat(path).mode)) {
      removeBelow(fs, path);
      fs.rmdir(path);
    } else fs.unlink(path);
  }
}

/** Empties the workspace roots, then writes `tree` into them. */
export function writeWorkspace(fs: EmscriptenFS, tree: FileTree): void {
  for (const root of WORKSPACE_ROOTS) {
    fs.mkdirTree(root);
    removeBelow(fs, root);
  }
  for (const [path, data] of Object.entries(tree).sort(([a], [b]) => a.length - b.length)) {
    if (data === null) fs.mkdirTree(path);
    else {
      fs.mkdirTree(path.slice(0, path.lastIndexOf("/")) || "/");
      fs.writeFile(path, data);
    }
  }
}

/** Thrown by a bounded walk when the files pass the limit. */
export class WorkspaceOverLimit extends Error {
  constructor(readonly limitBytes: number) {
    super(`the Python step left more than the workspace limit of ${limitBytes} bytes`);
  }
}

/**
 * Walks the workspace roots without following symbolic links (a link is neither followed
 * nor carried: lstat, never stat), counting each entry as treeSize does and stopping with
 * {@link WorkspaceOverLimit} as soon as the total passes `limitBytes`. `read` false: sizes
 * only (nothing is copied).
 */
function walkWorkspace(
  fs: EmscriptenFS,
  limitBytes: number,
  read: boolean,
): { tree: FileTree; bytes: number } {
  const tree: FileTree = {};
  let bytes = 0;
  const walk = (dir: string) => {
    for (const name of fs.readdir(dir)) {
      if (name === "." || name === "..") continue;
      const path = `${dir}/${name}`;
      const st = fs.lstat(path);
      const isDir = fs.isDir(st.mode);
      if (!isDir && !fs.isFile(st.mode)) continue;
      bytes += path.length + (isDir ? 0 : st.size);
      if (bytes > limitBytes) throw new WorkspaceOverLimit(limitBytes);
      if (isDir) {
        tree[path] = null;
        walk(path);
      } else if (read) tree[path] = fs.readFile(path);
    }
  };
  for (const root of WORKSPACE_ROOTS) walk(root);
  return { tree, bytes };
}

/** The files under the workspace roots now; throws {@link WorkspaceOverLimit} past `limitBytes`. */
export function readWorkspace(fs: EmscriptenFS, limitBytes = Number.POSITIVE_INFINITY): FileTree {
  return walkWorkspace(fs, limitBytes, true).tree;
}

/** Whether anything under the workspace roots changed since the last {@link ChangeTracker.begin}. */
export interface ChangeTracker {
  changed(): boolean;
  /** True when a write of this step failed because it would have passed the limit. */
  exceeded(): boolean;
  /**
   * True once a step created, wrote, moved or deleted anything outside the workspace roots
   * since the interpreter was made (or since {@link forgetOutside}).
   */
  touchedOutside(): boolean;
  /** The interpreter was reset to its first state: what was written outside is gone. */
  forgetOutside(): void;
  /** Starts a step: `baseBytes` is what its files cost (treeSize), `limitBytes` the workspace limit. */
  begin(baseBytes: number, limitBytes: number): void;
}

const O_ACCMODE = 3;
const O_CREAT = 64;
const O_TRUNC = 512;

/** Cost of the files under the workspace roots, as treeSize counts it (sizes only, no copy). */
function workspaceBytes(fs: EmscriptenFS): number {
  return walkWorkspace(fs, Number.POSITIVE_INFINITY, false).bytes;
}

/**
 * Watches writes, creations, deletions and moves through Emscripten's FS tracking hooks,
 * so an unchanged workspace is not walked after a step, and bounds what a step may write:
 * Emscripten keeps file data in JavaScript memory, outside the interpreter's capped wasm
 * memory, so a write that takes the workspace past its limit fails with ENOSPC (the files
 * are recounted only when a cheap running total says they might be over). Writes outside
 * the workspace roots are counted for the interpreter's whole life against the same limit.
 * Truncation without opening has no hook, so FS.truncate is wrapped too.
 */
export function trackWorkspaceChanges(fs: EmscriptenFS, enospc: () => Error): ChangeTracker {
  let dirty = false;
  let base = 0;
  let written = 0;
  let limit = Number.POSITIVE_INFINITY;
  let outside = 0;
  let exceeded = false;
  const refuse = () => {
    exceeded = true;
    return enospc();
  };
  let touchedOutside = false;
  const mark = (path: unknown) => {
    if (typeof path === "string" && isWorkspacePath(path)) dirty = true;
    else touchedOutside = true;
  };
  const onWrite = (path: unknown, bytes: unknown) => {
    const n = typeof bytes === "number" ? bytes : 0;
    if (typeof path === "string" && isWorkspacePath(path)) {
      dirty = true;
      written += n;
      if (base + written <= limit) return;
      base = workspaceBytes(fs);
      written = 0;
      if (base > limit) throw refuse();
    } else {
      // Writing to a device (stdout, the network device) changes no file; making a file
      // under /dev is marked when it is created.
      if (typeof path !== "string" || !path.startsWith("/dev/")) touchedOutside = true;
      outside += n;
      if (outside > limit) throw refuse();
    }
  };
  const api = fs as unknown as {
    trackingDelegate: Record<string, (...args: unknown[]) => void>;
    truncate: (path: unknown, length: number) => void;
  };
  Object.assign(api.trackingDelegate, {
    onOpenFile: (path: unknown, flags: number) => {
      if (flags & (O_CREAT | O_TRUNC)) mark(path);
      else if ((flags & O_ACCMODE) !== 0 && !(typeof path === "string" && path.startsWith("/dev/")))
        mark(path);
    },
    onWriteToFile: onWrite,
    onMakeDirectory: mark,
    onMakeSymlink: (_target: unknown, path: unknown) => mark(path),
    onDeletePath: mark,
    onMovePath: (from: unknown, to: unknown) => {
      mark(from);
      mark(to);
    },
  });
  const truncate = api.truncate.bind(fs);
  api.truncate = (path, length) => {
    mark(path);
    dirty = true;
    truncate(path, length);
  };
  return {
    changed: () => dirty,
    exceeded: () => exceeded,
    touchedOutside: () => touchedOutside,
    forgetOutside: () => {
      touchedOutside = false;
      outside = 0;
    },
    begin: (baseBytes, limitBytes) => {
      dirty = false;
      exceeded = false;
      base = baseBytes;
      written = 0;
      limit = limitBytes;
    },
  };
}
