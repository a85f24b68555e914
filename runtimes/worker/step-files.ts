/**
 * The workspace of one step for runtimes without a file system of their own (Lua):
 * `/tmp` and `/workspace` as a path-to-bytes map, text in and out, size-bounded.
 */
import { type FileTree, isWorkspacePath, treeSize } from "../fs/file-tree.js";

type Ok = { ok: true; value: string | undefined };
type Fail = { ok: false; error: string };

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Resolves `path` against /workspace and removes `.`/`..`; undefined if it leaves the workspace roots. */
export function normalizeWorkspacePath(path: string): string | undefined {
  const absolute = path.startsWith("/") ? path : `/workspace/${path}`;
  const parts: string[] = [];
  for (const part of absolute.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") parts.pop();
    else parts.push(part);
  }
  const clean = `/${parts.join("/")}`;
  return isWorkspacePath(clean) ? clean : undefined;
}

/** What an entry costs against the workspace limit (as in treeSize). */
function cost(path: string, data: Uint8Array | null): number {
  return path.length + (data?.byteLength ?? 0);
}

function parentOf(path: string): string {
  return path.slice(0, path.lastIndexOf("/"));
}

/**
 * A step's files, copied at the first change: a step that writes nothing hands back the
 * very tree it was given, so the dispatcher knows without a diff that nothing changed.
 */
export class StepFiles {
  readonly #initial: FileTree;
  /** The prototype-free copy made at the first change (a path is only ever an own entry). */
  #copy: FileTree | undefined;
  readonly #limit: number;
  /** Size as treeSize counts it; computed at the first write. */
  #size: number | undefined;

  constructor(initial: FileTree, limitBytes: number) {
    this.#initial = initial;
    this.#limit = limitBytes;
  }

  /** The files now: the initial tree itself while nothing changed. */
  tree(): FileTree {
    return this.#copy ?? this.#initial;
  }

  #writable(): FileTree {
    this.#copy ??= Object.assign(Object.create(null) as FileTree, this.#initial);
    return this.#copy;
  }

  /** Runs one operation by name: `read`, `write`, `remove` or `list`. */
  call(op: string, rawPath: string, data: string | undefined): Ok | Fail {
    const path = normalizeWorkspacePath(rawPath || "/workspace");
    if (!path) return { ok: false, error: `${rawPath}: only files under /tmp and /workspace can be used` };
    switch (op) {
      case "read": {
        const tree = this.tree();
        const bytes = Object.hasOwn(tree, path) ? tree[path] : undefined;
        if (bytes === undefined) return { ok: false, error: `${rawPath}: no such file` };
        if (bytes === null) return { ok: false, error: `${rawPath}: is a directory` };
        return { ok: true, value: decoder.decode(bytes) };
      }
      case "write": {
        const tree = this.tree();
        const old = Object.hasOwn(tree, path) ? tree[path] : undefined;
        if (old === null) return { ok: false, error: `${rawPath}: is a directory` };
        const bytes = encoder.encode(data ?? "");
        this.#size ??= treeSize(this.#initial);
        let size = this.#size - (old === undefined ? 0 : cost(path, old)) + cost(path, bytes);
        for (let dir = parentOf(path); dir.includes("/", 1); dir = parentOf(dir)) {
          if (!Object.hasOwn(tree, dir)) size += cost(dir, null);
        }
        if (size > this.#limit)
          return {
            ok: false,
            error: `WorkspaceLimitError: writing ${rawPath} would take the workspace over its limit of ${this.#limit} bytes`,
          };
        this.#size = size;
        const copy = this.#writable();
        copy[path] = bytes;
        for (let dir = parentOf(path); dir.includes("/", 1); dir = parentOf(dir)) {
          if (!Object.hasOwn(copy, dir)) copy[dir] = null;
        }
        return { ok: true, value: undefined };
      }
      case "remove": {
        const tree = this.tree();
        const old = Object.hasOwn(tree, path) ? tree[path] : undefined;
        if (old === undefined) return { ok: false, error: `${rawPath}: no such file` };
        this.#size ??= treeSize(this.#initial);
        const copy = this.#writable();
        for (const p of Object.keys(copy)) {
          if (p === path || p.startsWith(`${path}/`)) {
            this.#size -= cost(p, copy[p] ?? null);
            delete copy[p];
          }
        }
        return { ok: true, value: undefined };
      }
      case "list": {
        const prefix = `${path}/`;
        const names = Object.keys(this.tree())
          .filter((p) => p.startsWith(prefix))
          .sort();
        return { ok: true, value: JSON.stringify(names) };
      }
      default:
        return { ok: false, error: `unknown file operation ${op}` };
    }
  }
}
