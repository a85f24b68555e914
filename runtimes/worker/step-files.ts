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

/** A mutable copy of a step's files. */
export class StepFiles {
  readonly #tree: FileTree;
  readonly #limit: number;
  #size = 0;

  constructor(initial: FileTree, limitBytes: number) {
    // A prototype-free copy: a path is only ever an own entry, never an inherited property.
    this.#tree = Object.assign(Object.create(null) as FileTree, initial);
    this.#limit = limitBytes;
    this.#size = treeSize(initial);
  }

  /** The files now. */
  tree(): FileTree {
    return this.#tree;
  }

  /** Runs one operation by name: `read`, `write`, `remove` or `list`. */
  call(op: string, rawPath: string, data: string | undefined): Ok | Fail {
    const path = normalizeWorkspacePath(rawPath || "/workspace");
    if (!path) return { ok: false, error: `${rawPath}: only files under /tmp and /workspace can be used` };
    switch (op) {
      case "read": {
        const bytes = Object.hasOwn(this.#tree, path) ? this.#tree[path] : undefined;
        if (bytes === undefined) return { ok: false, error: `${rawPath}: no such file` };
        if (bytes === null) return { ok: false, error: `${rawPath}: is a directory` };
        return { ok: true, value: decoder.decode(bytes) };
      }
      case "write": {
        if (this.#tree[path] === null) return { ok: false, error: `${rawPath}: is a directory` };
        const bytes = encoder.encode(data ?? "");
        const old = Object.hasOwn(this.#tree, path) ? this.#tree[path] : undefined;
        let size = this.#size - (old === undefined ? 0 : cost(path, old)) + cost(path, bytes);
        for (let dir = parentOf(path); dir.includes("/", 1); dir = parentOf(dir)) {
          if (!Object.hasOwn(this.#tree, dir)) size += cost(dir, null);
        }
        if (size > this.#limit)
          return {
            ok: false,
            error: `WorkspaceLimitError: writing ${rawPath} would take the workspace over its limit of ${this.#limit} bytes`,
          };
        this.#size = size;
        this.#tree[path] = bytes;
        for (let dir = parentOf(path); dir.includes("/", 1); dir = parentOf(dir)) {
          if (!Object.hasOwn(this.#tree, dir)) this.#tree[dir] = null;
        }
        return { ok: true, value: undefined };
      }
      case "remove": {
        const old = Object.hasOwn(this.#tree, path) ? this.#tree[path] : undefined;
        if (old === undefined) return { ok: false, error: `${rawPath}: no such file` };
        for (const p of Object.keys(this.#tree)) {
          if (p === path || p.startsWith(`${path}/`)) {
            this.#size -= cost(p, this.#tree[p] ?? null);
            delete this.#tree[p];
          }
        }
        return { ok: true, value: undefined };
      }
      case "list": {
        const prefix = `${path}/`;
        const names = Object.keys(this.#tree)
          .filter((p) => p.startsWith(prefix))
          .sort();
        return { ok: true, value: JSON.stringify(names) };
      }
      default:
        return { ok: false, error: `unknown file operation ${op}` };
    }
  }
}
