/**
 * Open files and devices of the in-memory file system, as the browser_wasi_shim `Fd`
 * interface its WASI glue calls (directories: dir-handle.ts).
 */
import { wasi } from "@bjorn3/browser_wasi_shim";
import { fdstat, Handle } from "./handle.js";
import type { DeviceKind, DevNode, FsNode, MemFile } from "./mem-fs.js";
import { nowNs } from "./mem-fs.js";

const E = wasi;

export function setTimes(node: FsNode, atim: bigint, mtim: bigint, flags: number): number {
  const now = nowNs();
  node.changing();
  if (flags & E.FSTFLAGS_ATIM) node.atim = atim;
  else if (flags & E.FSTFLAGS_ATIM_NOW) node.atim = now;
  if (flags & E.FSTFLAGS_MTIM) node.mtim = mtim;
  else if (flags & E.FSTFLAGS_MTIM_NOW) node.mtim = now;
  node.ctim = now;
  return 0;
}

export class OpenFile extends Handle {
  private pos = 0;
  constructor(
    readonly file: MemFile,
    private readonly readable: boolean,
    private readonly writable: boolean,
    private append: boolean,
  ) {
    super();
    file.openCount++;
  }
  override fd_fdstat_get() {
    return { ret: 0, fdstat: fdstat(E.FILETYPE_REGULAR_FILE, this.append ? E.FDFLAGS_APPEND : 0) };
  }
  override fd_fdstat_set_flags(flags: number): number {
    this.append = (flags & E.FDFLAGS_APPEND) !== 0;
    return 0;
  }
  override fd_read(size: number) {
    if (!this.readable) return { ret: E.ERRNO_BADF, data: new Uint8Array(0) };
    const data = this.file.read(this.pos, size);
    this.pos += data.byteLength;
    return { ret: 0, data };
  }
  override fd_pread(size: number, offset: bigint) {
    if (!this.readable) return { ret: E.ERRNO_BADF, data: new Uint8Array(0) };
    return { ret: 0, data: this.file.read(Number(offset), size) };
  }
  override fd_write(data: Uint8Array) {
    if (!this.writable) return { ret: E.ERRNO_BADF, nwritten: 0 };
    if (this.append) this.pos = this.file.size;
    this.file.write(this.pos, data);
    this.pos += data.byteLength;
    return { ret: 0, nwritten: data.byteLength };
  }
  override fd_pwrite(data: Uint8Array, offset: bigint) {
    if (!this.writable) return { ret: E.ERRNO_BADF, nwritten: 0 };
    this.file.write(Number(offset), data);
    return { ret: 0, nwritten: data.byteLength };
  }
  override fd_seek(offset: bigint, whence: number) {
    const base = whence === E.WHENCE_SET ? 0 : whence === E.WHENCE_CUR ? this.pos : this.file.size;
    const to = base + Number(offset);
    if (whence > E.WHENCE_END || to < 0) return { ret: E.ERRNO_INVAL, offset: 0n };
    this.pos = to;
    return { ret: 0, offset: BigInt(to) };
  }
  override fd_tell() {
    return { ret: 0, offset: BigInt(this.pos) };
  }
  override fd_filestat_get() {
    return { ret: 0, filestat: this.file.stat() };
  }
  override fd_filestat_set_size(size: bigint): number {
    if (!this.writable) return E.ERRNO_BADF;
    this.file.resize(Number(size));
    return 0;
  }
  override fd_filestat_set_times(atim: bigint, mtim: bigint, flags: number): number {
    return setTimes(this.file, atim, mtim, flags);
  }
  override fd_allocate(offset: bigint, len: bigint): number {
    const end = Number(offset + len);
    if (end > this.file.size) this.file.resize(end);
    return 0;
  }
  override fd_close(): number {
    this.file.openCount--;
    this.file.release();
    return 0;
  }
}

export class OpenDevice extends Handle {
  constructor(readonly node: DevNode) {
    super();
  }
  get kind(): DeviceKind {
    return this.node.kind;
  }
  override fd_fdstat_get() {
    return { ret: 0, fdstat: fdstat(E.FILETYPE_CHARACTER_DEVICE) };
  }
  override fd_read(size: number) {
    const n = Math.min(size, 65536);
    if (this.kind === "zero" || this.kind === "full") return { ret: 0, data: new Uint8Array(n) };
    if (this.kind === "random") return { ret: 0, data: crypto.getRandomValues(new Uint8Array(n)) };
    return { ret: 0, data: new Uint8Array(0) };
  }
  override fd_write(data: Uint8Array) {
    if (this.kind === "full") return { ret: E.ERRNO_NOSPC, nwritten: 0 };
    return { ret: 0, nwritten: data.byteLength };
  }
  override fd_seek() {
    return { ret: 0, offset: 0n };
  }
  override fd_tell() {
    return { ret: 0, offset: 0n };
  }
  override fd_filestat_get() {
    return { ret: 0, filestat: this.node.stat() };
  }
  override fd_filestat_set_times(atim: bigint, mtim: bigint, flags: number): number {
    return setTimes(this.node, atim, mtim, flags);
  }
}
