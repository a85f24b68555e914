/**
 * The in-memory file system a shell step sees: inodes (files, directories, devices)
 * with timestamps and permission bits, and byte accounting against the step's
 * workspace limit. Built on browser_wasi_shim's Inode and Filestat types.
 */

import { Inode, wasi } from "@bjorn3/browser_wasi_shim";
import type { NetFetch } from "../worker/net-client.js";
import { copy, view } from "./arrays.js";

/** Thrown (and turned into a step failure) when the files outgrow the workspace limit. */
export class WorkspaceLimitExceeded extends Error {
  constructor(
    readonly limit: number,
    readonly path: string,
    during = "writing",
  ) {
    super(`files exceed the workspace limit of ${limit} bytes (while ${during} ${path})`);
  }
}

/** browser_wasi_shim 0.4.2 writes atim/mtim/ctim at wrong offsets (38/46/52); this writes 40/48/56. */
export class Filestat extends wasi.Filestat {
  override write_bytes(view: DataView, ptr: number): void {
    view.setBigUint64(ptr, this.dev, true);
    view.setBigUint64(ptr + 8, this.ino, true);
    view.setUint8(ptr + 16, this.filetype);
    view.setBigUint64(ptr + 24, this.nlink, true);
    view.setBigUint64(ptr + 32, this.size, true);
    view.setBigUint64(ptr + 40, this.atim, true);
    view.setBigUint64(ptr + 48, this.mtim, true);
    view.setBigUint64(ptr + 56, this.ctim, true);
  }
}

let lastMs = -1;
let lastNs = 0n;
/** Wall-clock nanoseconds (millisecond resolution); the BigInt is made once per millisecond. */
export const nowNs = (): bigint => {
  const ms = Date.now();
  if (ms !== lastMs) {
    lastMs = ms;
    lastNs = BigInt(ms) * 1_000_000n;
  }
  return lastNs;
};

/** Shared state of one file system: the inode index and the byte budget. */
export class FsContext {
  readonly inodes = new Map<bigint, FsNode>();
  private nextIno = 1n;
  used = 0;
  /** Bytes of the fixed layout (/etc, ...), not counted against the limit. */
  baseline = 0;
  /** Contents of the generated /proc files, by name. */
  proc: (name: string) => string = () => "";
  /** The running step's network access, for /dev/sandflow-net (see net-device.ts). */
  net: () => NetFetch | undefined = () => undefined;
  /** Set when a step changed a node of the layout shared between steps (see FsNode.shared). */
  sharedChanged = false;
  constructor(public limitBytes: number) {}

  /** The inode number given out last. */
  get lastIno(): bigint {
    return this.nextIno - 1n;
  }

  /** Forgets the inodes numbered above `ino` and numbers new ones from there again. */
  forgetAfter(ino: bigint): void {
    for (let i = ino + 1n; i < this.nextIno; i++) this.inodes.delete(i);
    this.nextIno = ino + 1n;
  }

  register(node: FsNode): bigint {
    const ino = this.nextIno++;
    this.inodes.set(ino, node);
    return ino;
  }

  /** Accounts a size change of a file; throws past the limit when it grows. */
  charge(delta: number, path: () => string): void {
    if (delta > 0 && this.used + delta > this.limitBytes) {
      throw new WorkspaceLimitExceeded(this.limitBytes - this.baseline, path());
    }
    this.used += delta;
  }
}

export abstract class FsNode extends Inode {
  atim = nowNs();
  mtim = this.atim;
  ctim = this.atim;
  nlink = 0;
  parent: MemDir | null = null;
  name = "";
  /** Part of the fixed layout reused by later steps: changing it makes that layout be rebuilt. */
  shared = false;
  constructor(
    readonly fs: FsContext,
    public mode: number,
  ) {
    super();
    this.ino = fs.register(this);
  }
  abstract filetype(): number;
  abstract byteSize(): number;

  /** Opening goes through OpenDir.path_open (dir-handle.ts), never through the inode. */
  path_open(): { ret: number; fd_obj: null } {
    return { ret: wasi.ERRNO_NOTSUP, fd_obj: null };
  }

  stat(): Filestat {
    const s = new Filestat(this.ino, this.filetype(), BigInt(this.byteSize()));
    s.nlink = BigInt(Math.max(this.nlink, 1));
    s.atim = this.atim;
    s.mtim = this.mtim;
    s.ctim = this.ctim;
    return s;
  }

  /** Absolute path, for messages. */
  path(): string {
    const parts: string[] = [];
    let n: FsNode | null = this;
    while (n?.parent) {
      parts.unshift(n.name);
      n = n.parent;
    }
    return `/${parts.join("/")}`;
  }

  touch(): void {
    this.mtim = nowNs();
    this.ctim = this.mtim;
    if (this.shared) this.fs.sharedChanged = true;
  }

  /** Call before changing the node's mode, times or links. */
  changing(): void {
    if (this.shared) this.fs.sharedChanged = true;
  }
}

/** A regular file; the buffer grows by doubling so appends stay linear. */
export class MemFile extends FsNode {
  private buf: Uint8Array;
  size: number;
  openCount = 0;
  constructor(fs: FsContext, data: Uint8Array = new Uint8Array(0), mode = 0o644) {
    super(fs, mode);
    fs.charge(data.byteLength, () => this.path());
    this.buf = copy(data);
    this.size = data.byteLength;
  }
  filetype(): number {
    return wasi.FILETYPE_REGULAR_FILE;
  }
  byteSize(): number {
    return this.size;
  }
  /** The file's bytes (a view: copy before keeping). */
  data(): Uint8Array {
    return view(this.buf, 0, this.size);
  }
  read(pos: number, len: number): Uint8Array {
    if (pos >= this.size) return new Uint8Array(0);
    return copy(this.buf, pos, Math.min(this.size, pos + len));
  }
  write(pos: number, data: Uint8Array): void {
    const end = pos + data.byteLength;
    if (end > this.size) this.resize(end);
    this.buf.set(data, pos);
    this.touch();
  }
  resize(newSize: number): void {
    if (this.isCharged()) this.fs.charge(newSize - this.size, () => this.path());
    if (newSize > this.buf.byteLength) {
      const grown = new Uint8Array(
        Math.max(newSize, Math.min(this.buf.byteLength * 2, newSize + (64 << 20))),
      );
      grown.set(view(this.buf, 0, this.size));
      this.buf = grown;
    } else if (newSize < this.size) {
      this.buf.fill(0, newSize, this.size);
    }
    this.size = newSize;
    this.touch();
  }
  /** A file counts against the limit while linked or open. */
  isCharged(): boolean {
    return this.nlink > 0 || this.openCount > 0;
  }
  /** Called when the last link or open handle goes away. */
  release(): void {
    if (!this.isCharged()) {
      this.fs.used -= this.size;
      this.fs.inodes.delete(this.ino);
      this.buf = new Uint8Array(0);
      this.size = 0;
    }
  }
}

export class MemDir extends FsNode {
  readonly entries = new Map<string, FsNode>();
  constructor(fs: FsContext, mode = 0o755) {
    super(fs, mode);
  }
  filetype(): number {
    return wasi.FILETYPE_DIRECTORY;
  }
  byteSize(): number {
    return 4096;
  }
  link(name: string, node: FsNode): void {
    node.changing();
    this.entries.set(name, node);
    node.nlink++;
    if (node instanceof MemDir) {
      node.parent = this;
      node.name = name;
    } else if (node.parent === null) {
      node.parent = this;
      node.name = name;
    }
    this.touch();
  }
  unlink(name: string): FsNode | undefined {
    const node = this.entries.get(name);
    if (!node) return undefined;
    node.changing();
    this.entries.delete(name);
    node.nlink--;
    if (node.parent === this && node.name === name) node.parent = node instanceof MemDir ? null : node.parent;
    if (node instanceof MemFile) node.release();
    else if (node.nlink <= 0) this.fs.inodes.delete(node.ino);
    this.touch();
    return node;
  }
  /** Puts `dir` at `name` (replacing what was there) without changing this directory's times. */
  place(name: string, dir: MemDir): void {
    this.entries.set(name, dir);
    dir.nlink = 1;
    dir.parent = this;
    dir.name = name;
  }
  /** True when `dir` is this directory or lies below it. */
  contains(dir: MemDir): boolean {
    for (let d: MemDir | null = dir; d; d = d.parent) if (d === this) return true;
    return false;
  }
}

/** A symbolic link (its target is resolved when a path goes through it). */
export class MemSymlink extends FsNode {
  constructor(
    fs: FsContext,
    readonly target: string,
  ) {
    super(fs, 0o777);
  }
  filetype(): number {
    return wasi.FILETYPE_SYMBOLIC_LINK;
  }
  byteSize(): number {
    return new TextEncoder().encode(this.target).byteLength;
  }
}

export type DeviceKind = "null" | "zero" | "full" | "random" | "tty" | "proc" | "net";

/**
 * Character devices: /dev/null, /dev/zero, /dev/random, /dev/urandom, /dev/tty, and
 * /dev/stdin, /dev/stdout, /dev/stderr (`alias`: opening one duplicates that fd).
 */
export class DevNode extends FsNode {
  constructor(
    fs: FsContext,
    readonly kind: DeviceKind,
    readonly alias?: number,
    /** For kind "proc": the file's name (its contents are generated on open). */
    readonly procName = "",
  ) {
    super(fs, kind === "proc" ? 0o444 : 0o666);
  }
  filetype(): number {
    return this.kind === "proc" ? wasi.FILETYPE_REGULAR_FILE : wasi.FILETYPE_CHARACTER_DEVICE;
  }
  byteSize(): number {
    return 0;
  }
}
