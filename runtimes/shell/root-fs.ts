/**
 * The file system a shell step starts with: /bin (applet names), /dev, /etc, /run/sandflow,
 * /tmp and /workspace (loaded from the step's FileTree), and the FileTree of /tmp and
 * /workspace the step leaves behind. Nothing of the host's file system is ever visible.
 */

import { wasi } from "@bjorn3/browser_wasi_shim";
import type { FileTree } from "../fs/file-tree.js";
import { copy } from "./arrays.js";
import { OpenDir } from "./dir-handle.js";
import { DevNode, FsContext, type FsNode, MemDir, MemFile, WorkspaceLimitExceeded } from "./mem-fs.js";
import { encodeUtf8 } from "./wasm-strings.js";

const ROOTS = ["/tmp", "/workspace"] as const;
export const RUN_DIR = "/run/sandflow";

const ROOT_PRESTAT = wasi.Prestat.dir("/");

/** The "/" preopen: the one directory wasi-libc resolves every path against. */
export class RootDir extends OpenDir {
  override fd_prestat_get() {
    return { ret: 0, prestat: ROOT_PRESTAT };
  }
}

/** The components of an absolute path ("" and "." never occur in the paths used here). */
const components = (path: string): string[] => {
  const out: string[] = [];
  for (const p of path.split("/")) if (p !== "") out.push(p);
  return out;
};

function mkdirs(root: MemDir, path: string, mode = 0o755): MemDir {
  let cur = root;
  for (const part of components(path)) {
    let next = cur.entries.get(part);
    if (next === undefined) {
      next = new MemDir(root.fs, mode);
      cur.link(part, next);
    }
    if (!(next instanceof MemDir)) throw new Error(`${path}: ${part} is not a directory`);
    cur = next;
  }
  return cur;
}

function addFile(dir: MemDir, name: string, text: string, mode = 0o644): void {
  dir.link(name, new MemFile(dir.fs, encodeUtf8(text), mode));
}

/** Nodes of the fixed layout the step may see (its stdin is the layout's /dev/null). */
export interface RootFs {
  readonly ctx: FsContext;
  readonly root: MemDir;
  /** Bytes of the fixed layout, not counted against the workspace limit. */
  readonly baseline: number;
  readonly devNull: DevNode;
}

/**
 * The fixed layout (/, /bin with an entry per applet, /usr/bin, /dev, /etc, /proc), built
 * once and reused by every step that leaves it as it was: each step gets fresh
 * /run/sandflow, /tmp and /workspace. A step that changes a node of the fixed layout
 * (FsNode.shared) makes close() answer false: the layout is then thrown away.
 */
export class RootLayout {
  readonly ctx = new FsContext(Number.POSITIVE_INFINITY);
  readonly root = new MemDir(this.ctx, 0o755);
  readonly devNull = new DevNode(this.ctx, "null");
  private readonly baseline: number;
  private readonly lastIno: bigint;
  private readonly empty = new MemDir(this.ctx, 0o755);
  private inUse = false;

  constructor(applets: readonly string[]) {
    const { ctx, root } = this;
    root.nlink = 1;
    const bin = mkdirs(root, "/bin");
    for (const a of new Set(["busybox", ...applets])) {
      if (a && !a.includes("/")) bin.link(a, new MemFile(ctx, new Uint8Array(0), 0o755));
    }
    mkdirs(root, "/usr/bin");
    const dev = mkdirs(root, "/dev");
    dev.link("null", this.devNull);
    dev.link("zero", new DevNode(ctx, "zero"));
    dev.link("full", new DevNode(ctx, "full"));
    dev.link("random", new DevNode(ctx, "random"));
    dev.link("urandom", new DevNode(ctx, "random"));
    dev.link("tty", new DevNode(ctx, "tty"));
    dev.link("sandflow-net", new DevNode(ctx, "net"));
    ["stdin", "stdout", "stderr"].forEach((name, fd) => {
      dev.link(name, new DevNode(ctx, "null", fd));
    });
    const etc = mkdirs(root, "/etc");
    addFile(
      etc,
      "passwd",
      "root:x:0:0:root:/root:/bin/sh\nsandflow:x:1000:1000:sandflow:/workspace:/bin/sh\n",
    );
    addFile(etc, "group", "root:x:0:\nsandflow:x:1000:sandflow\n");
    addFile(etc, "hostname", "sandflow\n");
    const proc = mkdirs(root, "/proc");
    proc.link("meminfo", new DevNode(ctx, "proc", undefined, "meminfo"));
    for (const name of ["run", "tmp", "workspace"]) root.place(name, this.empty);
    for (const node of ctx.inodes.values()) node.shared = true;
    this.baseline = ctx.used;
    ctx.baseline = ctx.used;
    this.lastIno = ctx.lastIno;
  }

  /** A step's file system: the layout plus fresh /run/sandflow, /tmp and /workspace holding `files`. */
  open(files: FileTree, workspaceBytes: number): RootFs {
    if (this.inUse) throw new Error("root layout opened twice");
    const { ctx, root } = this;
    ctx.used = this.baseline;
    ctx.limitBytes = workspaceBytes + this.baseline;
    ctx.proc = () => "";
    this.inUse = true;
    const run = new MemDir(ctx, 0o755);
    root.place("run", run);
    run.link("sandflow", new MemDir(ctx, 0o755));
    root.place("tmp", new MemDir(ctx, 0o1777));
    root.place("workspace", new MemDir(ctx, 0o755));
    try {
      loadFiles(root, files);
    } catch (e) {
      this.close();
      throw e;
    }
    return { ctx, root, baseline: this.baseline, devNull: this.devNull };
  }

  /** After the step: forgets its nodes; true when the layout is unchanged and can be opened again. */
  close(): boolean {
    this.inUse = false;
    for (const name of ["run", "tmp", "workspace"]) this.root.place(name, this.empty);
    this.ctx.forgetAfter(this.lastIno);
    this.ctx.proc = () => "";
    return !this.ctx.sharedChanged;
  }
}

function loadFiles(root: MemDir, files: FileTree): void {
  for (const path of Object.keys(files).sort()) {
    const data = files[path];
    if (!ROOTS.some((r) => path === r || path.startsWith(`${r}/`)) || path.split("/").includes("..")) {
      throw new RangeError(`step file ${JSON.stringify(path)} is not under /tmp or /workspace`);
    }
    if (data === null || data === undefined) {
      mkdirs(root, path);
      continue;
    }
    const slash = path.lastIndexOf("/");
    const dir = mkdirs(root, path.slice(0, slash));
    const name = path.slice(slash + 1);
    const old = dir.entries.get(name);
    if (old) throw new RangeError(`step file ${JSON.stringify(path)} is listed twice or is also a directory`);
    dir.link(name, new MemFile(root.fs, data));
  }
}

/** Layouts kept for reuse, one per step running at a time (a factory's runtimes share them). */
export class RootLayouts {
  private readonly free: RootLayout[] = [];
  constructor(private readonly applets: readonly string[]) {}
  take(): RootLayout {
    return this.free.pop() ?? new RootLayout(this.applets);
  }
  /** Takes a layout back after its step; a changed one is dropped. */
  give(layout: RootLayout): void {
    if (layout.close() && this.free.length < 4) this.free.push(layout);
  }
}

/** A one-off file system (a layout of its own) holding `files` under /tmp and /workspace. */
export function buildRootFs(files: FileTree, workspaceBytes: number, applets: readonly string[]): RootFs {
  return new RootLayout(applets).open(files, workspaceBytes);
}

/**
 * The whole tree under /tmp and /workspace (`withRoots`: the two roots themselves too).
 * Symbolic links are never followed nor carried. A file with several names (hard links)
 * is copied once and its names share that copy; each name still counts against
 * `limitBytes` as treeSize counts it (a later step gets one file per name), and the walk
 * stops with WorkspaceLimitExceeded as soon as the total passes the limit.
 */
export function exportTree(fs: RootFs, withRoots: boolean, limitBytes = Number.POSITIVE_INFINITY): FileTree {
  const out: FileTree = {};
  const copies = new Map<MemFile, Uint8Array>();
  let total = 0;
  const count = (path: string, bytes: number) => {
    total += path.length + bytes;
    if (total > limitBytes) throw new WorkspaceLimitExceeded(limitBytes, path, "saving");
  };
  const walk = (dir: MemDir, path: string) => {
    for (const [name, node] of [...dir.entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      const p = `${path}/${name}`;
      if (node instanceof MemDir) {
        count(p, 0);
        out[p] = null;
        walk(node, p);
      } else if (node instanceof MemFile) {
        count(p, node.size);
        let data = copies.get(node);
        if (!data) {
          data = copy(node.data());
          copies.set(node, data);
        }
        out[p] = data;
      }
    }
  };
  for (const r of ROOTS) {
    const dir = fs.root.entries.get(r.slice(1));
    if (!(dir instanceof MemDir)) continue;
    if (withRoots) {
      count(r, 0);
      out[r] = null;
    }
    walk(dir, r);
  }
  return out;
}

/** Reads a file by absolute path, or undefined. */
export function readFile(fs: RootFs, path: string): Uint8Array | undefined {
  let cur: MemDir | MemFile | undefined = fs.root;
  for (let at = 0; at < path.length; ) {
    const slash = path.indexOf("/", at);
    const end = slash < 0 ? path.length : slash;
    if (end > at) {
      if (!(cur instanceof MemDir)) return undefined;
      const next: FsNode | undefined = cur.entries.get(path.slice(at, end));
      cur = next instanceof MemDir || next instanceof MemFile ? next : undefined;
    }
    at = end + 1;
  }
  return cur instanceof MemFile ? copy(cur.data()) : undefined;
}

/** Writes a file by absolute path (its directory must exist). */
export function writeFile(fs: RootFs, path: string, text: string, mode = 0o644): void {
  const slash = path.lastIndexOf("/");
  const dir = mkdirs(fs.root, path.slice(0, slash));
  dir.entries.has(path.slice(slash + 1)) && dir.unlink(path.slice(slash + 1));
  addFile(dir, path.slice(slash + 1), text, mode);
}
