/**
 * The file system a shell step starts with: /bin (applet names), /dev, /etc, /run/sandflow,
 * /tmp and /workspace (loaded from the step's FileTree), and the FileTree of /tmp and
 * /workspace the step leaves behind. Nothing of the host's file system is ever visible.
 */

import { wasi } from "@bjorn3/browser_wasi_shim";
import type { FileTree } from "../fs/file-tree.js";
import { OpenDir } from "./dir-handle.js";
import { DevNode, FsContext, MemDir, MemFile } from "./mem-fs.js";

const ROOTS = ["/tmp", "/workspace"] as const;
export const RUN_DIR = "/run/sandflow";
const enc = new TextEncoder();

/** The "/" preopen: the one directory wasi-libc resolves every path against. */
export class RootDir extends OpenDir {
  override fd_prestat_get() {
    return { ret: 0, prestat: wasi.Prestat.dir("/") };
  }
}

export interface RootFs {
  readonly ctx: FsContext;
  readonly root: MemDir;
  /** Bytes of the fixed layout, not counted against the workspace limit. */
  readonly baseline: number;
}

function mkdirs(root: MemDir, path: string, mode = 0o755): MemDir {
  let cur = root;
  for (const part of path.split("/").filter(Boolean)) {
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
  dir.link(name, new MemFile(dir.fs, enc.encode(text), mode));
}

/** Builds the layout; `files` must only hold paths under /tmp and /workspace. */
export function buildRootFs(files: FileTree, workspaceBytes: number, applets: readonly string[]): RootFs {
  const ctx = new FsContext(Number.POSITIVE_INFINITY);
  const root = new MemDir(ctx, 0o755);
  root.nlink = 1;
  const bin = mkdirs(root, "/bin");
  for (const a of new Set(["busybox", ...applets])) {
    if (a && !a.includes("/")) bin.link(a, new MemFile(ctx, new Uint8Array(0), 0o755));
  }
  mkdirs(root, "/usr/bin");
  const dev = mkdirs(root, "/dev");
  dev.link("null", new DevNode(ctx, "null"));
  dev.link("zero", new DevNode(ctx, "zero"));
  dev.link("full", new DevNode(ctx, "full"));
  dev.link("random", new DevNode(ctx, "random"));
  dev.link("urandom", new DevNode(ctx, "random"));
  dev.link("tty", new DevNode(ctx, "tty"));
  ["stdin", "stdout", "stderr"].forEach((name, fd) => {
    dev.link(name, new DevNode(ctx, "null", fd));
  });
  const etc = mkdirs(root, "/etc");
  addFile(etc, "passwd", "root:x:0:0:root:/root:/bin/sh\nsandflow:x:1000:1000:sandflow:/workspace:/bin/sh\n");
  addFile(etc, "group", "root:x:0:\nsandflow:x:1000:sandflow\n");
  addFile(etc, "hostname", "sandflow\n");
  const proc = mkdirs(root, "/proc");
  proc.link("meminfo", new DevNode(ctx, "proc", undefined, "meminfo"));
  mkdirs(root, RUN_DIR);
  mkdirs(root, "/tmp", 0o1777);
  mkdirs(root, "/workspace");
  const baseline = ctx.used;
  ctx.baseline = baseline;
  ctx.limitBytes = workspaceBytes + baseline;

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
    dir.link(name, new MemFile(ctx, data));
  }
  return { ctx, root, baseline };
}

/** The whole tree under /tmp and /workspace (`withRoots`: the two roots themselves too). */
export function exportTree(fs: RootFs, withRoots: boolean): FileTree {
  const out: FileTree = {};
  const walk = (dir: MemDir, path: string) => {
    for (const [name, node] of [...dir.entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      const p = `${path}/${name}`;
      if (node instanceof MemDir) {
        out[p] = null;
        walk(node, p);
      } else if (node instanceof MemFile) {
        out[p] = node.data().slice();
      }
    }
  };
  for (const r of ROOTS) {
    const dir = fs.root.entries.get(r.slice(1));
    if (!(dir instanceof MemDir)) continue;
    if (withRoots) out[r] = null;
    walk(dir, r);
  }
  return out;
}

/** Reads a file by absolute path, or undefined. */
export function readFile(fs: RootFs, path: string): Uint8Array | undefined {
  let cur: MemDir | MemFile | undefined = fs.root;
  for (const part of path.split("/").filter(Boolean)) {
    if (!(cur instanceof MemDir)) return undefined;
    const next = cur.entries.get(part);
    cur = next instanceof MemDir || next instanceof MemFile ? next : undefined;
  }
  return cur instanceof MemFile ? cur.data().slice() : undefined;
}

/** Writes a file by absolute path (its directory must exist). */
export function writeFile(fs: RootFs, path: string, text: string, mode = 0o644): void {
  const slash = path.lastIndexOf("/");
  const dir = mkdirs(fs.root, path.slice(0, slash));
  dir.entries.has(path.slice(slash + 1)) && dir.unlink(path.slice(slash + 1));
  addFile(dir, path.slice(slash + 1), text, mode);
}
