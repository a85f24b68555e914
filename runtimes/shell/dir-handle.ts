/**
 * Directory handles of the in-memory file system: path resolution ("..", ".", trailing
 * slashes, the root's ".." is itself) and open/create/unlink/link/rename/stat by path,
 * as the browser_wasi_shim `Fd` interface its WASI glue calls.
 */
import { wasi } from "@bjorn3/browser_wasi_shim";
import { OpenDevice, OpenFile, setTimes } from "./fs-handles.js";
import { fdstat, Handle } from "./handle.js";
import { DevNode, type FsNode, MemDir, MemFile, MemSymlink } from "./mem-fs.js";
import { NetDeviceHandle } from "./net-device.js";
import { utf8Length } from "./wasm-strings.js";

const E = wasi;
/** WASI lookupflags: follow a symbolic link in the last component. */
const SYMLINK_FOLLOW = 1;

interface Resolved {
  ret: number;
  /** The directory holding the last component (null for "/", "." or ".."-final paths). */
  parent: MemDir | null;
  name: string;
  node: FsNode | undefined;
  /** The path ended with "/" (or "/."): it must name a directory. */
  dirOnly: boolean;
}

const fail = (ret: number): Resolved => ({ ret, parent: null, name: "", node: undefined, dirOnly: false });

/** Index of the next path component at or after `at` (skipping "/" and "." components), or -1. */
function skipToComponent(path: string, at: number): number {
  let i = at;
  while (i < path.length) {
    if (path.charCodeAt(i) === 47 /* / */) i++;
    else if (path.charCodeAt(i) === 46 /* . */ && (i + 1 === path.length || path.charCodeAt(i + 1) === 47))
      i += 2;
    else return i;
  }
  return -1;
}

export class OpenDir extends Handle {
  constructor(readonly dir: MemDir) {
    super();
  }

  /**
   * Resolves `path` relative to this directory. Symbolic links in the middle are always
   * followed; the last component only when `followLast` (or the path ends with "/").
   */
  resolve(path: string, followLast = true): Resolved {
    if (path.includes("\0")) return fail(E.ERRNO_INVAL);
    const dirOnly = path === "" || path === "." || path.endsWith("/") || path.endsWith("/.");
    let cur = this.dir;
    let links = 0;
    let rest = path; // what is left to walk (a symbolic link's target is put in front)
    let at = 0;
    for (;;) {
      const from = skipToComponent(rest, at);
      if (from < 0) return { ret: 0, parent: null, name: "", node: cur, dirOnly };
      const slash = rest.indexOf("/", from);
      at = slash < 0 ? rest.length : slash;
      const p = rest.slice(from, at);
      const last = skipToComponent(rest, at) < 0;
      if (p === "..") {
        cur = cur.parent ?? cur;
        if (last) return { ret: 0, parent: null, name: "", node: cur, dirOnly };
        continue;
      }
      if (p.length > 85 && utf8Length(p) > 255) return fail(E.ERRNO_NAMETOOLONG);
      const next = cur.entries.get(p);
      if (next instanceof MemSymlink && (!last || followLast || dirOnly)) {
        if (++links > 40) return fail(E.ERRNO_LOOP);
        if (next.target === "") return fail(E.ERRNO_NOENT);
        if (next.target.startsWith("/")) while (cur.parent) cur = cur.parent;
        rest = `${next.target}/${rest.slice(at)}`;
        at = 0;
        continue;
      }
      if (last) {
        if (next && dirOnly && !(next instanceof MemDir)) return fail(E.ERRNO_NOTDIR);
        return { ret: 0, parent: cur, name: p, node: next, dirOnly };
      }
      if (!next) return fail(E.ERRNO_NOENT);
      if (!(next instanceof MemDir)) return fail(E.ERRNO_NOTDIR);
      cur = next;
    }
  }

  /** symlink(2): a new link at `path` pointing to `target`. */
  symlink(target: string, path: string): number {
    if (target.includes("\0")) return E.ERRNO_INVAL;
    const r = this.resolve(path, false);
    if (r.ret) return r.ret;
    if (r.node || !r.parent) return E.ERRNO_EXIST;
    if (!(r.parent.mode & 0o200)) return E.ERRNO_ACCES;
    r.parent.link(r.name, new MemSymlink(r.parent.fs, target));
    return 0;
  }

  override fd_fdstat_get() {
    return { ret: 0, fdstat: fdstat(E.FILETYPE_DIRECTORY) };
  }
  override fd_filestat_get() {
    return { ret: 0, filestat: this.dir.stat() };
  }
  override fd_filestat_set_times(atim: bigint, mtim: bigint, flags: number): number {
    return setTimes(this.dir, atim, mtim, flags);
  }
  override fd_read() {
    return { ret: E.ERRNO_ISDIR, data: new Uint8Array(0) };
  }
  override fd_write() {
    return { ret: E.ERRNO_BADF, nwritten: 0 };
  }
  override fd_seek() {
    return { ret: E.ERRNO_ISDIR, offset: 0n };
  }
  override fd_readdir_single(cookie: bigint) {
    const i = Number(cookie);
    if (i === 0) return { ret: 0, dirent: new wasi.Dirent(1n, this.dir.ino, ".", E.FILETYPE_DIRECTORY) };
    const up = this.dir.parent ?? this.dir;
    if (i === 1) return { ret: 0, dirent: new wasi.Dirent(2n, up.ino, "..", E.FILETYPE_DIRECTORY) };
    const entry = [...this.dir.entries][i - 2];
    if (!entry) return { ret: 0, dirent: null };
    const [name, node] = entry;
    return { ret: 0, dirent: new wasi.Dirent(BigInt(i + 1), node.ino, name, node.filetype()) };
  }

  override path_open(
    dirflags: number,
    path: string,
    oflags: number,
    rights: bigint,
    _inheriting: bigint,
    fdflags: number,
  ) {
    const none = (ret: number) => ({ ret, fd_obj: null });
    const follow = (dirflags & SYMLINK_FOLLOW) !== 0 && !(oflags & E.OFLAGS_EXCL);
    const r = this.resolve(path, follow);
    if (r.ret) return none(r.ret);
    const writable = (rights & BigInt(E.RIGHTS_FD_WRITE)) !== 0n;
    const readable = (rights & BigInt(E.RIGHTS_FD_READ)) !== 0n;
    let node = r.node;
    if (!node) {
      if (!(oflags & E.OFLAGS_CREAT) || !r.parent) return none(E.ERRNO_NOENT);
      if (r.dirOnly || oflags & E.OFLAGS_DIRECTORY) return none(E.ERRNO_ISDIR);
      if (!(r.parent.mode & 0o200)) return none(E.ERRNO_ACCES);
      node = new MemFile(r.parent.fs);
      r.parent.link(r.name, node);
    } else if (oflags & E.OFLAGS_CREAT && oflags & E.OFLAGS_EXCL) {
      return none(E.ERRNO_EXIST);
    }
    if (oflags & E.OFLAGS_DIRECTORY && !(node instanceof MemDir)) return none(E.ERRNO_NOTDIR);
    if (node instanceof MemDir) return writable ? none(E.ERRNO_ISDIR) : { ret: 0, fd_obj: new OpenDir(node) };
    if (node instanceof DevNode) {
      if (node.kind === "tty") return none(E.ERRNO_NXIO);
      if (node.kind === "net") return { ret: 0, fd_obj: new NetDeviceHandle(() => node.fs.net()) };
      if (node.kind !== "proc") return { ret: 0, fd_obj: new OpenDevice(node) };
      if (writable) return none(E.ERRNO_ACCES);
      const snapshot = new MemFile(node.fs, new TextEncoder().encode(node.fs.proc(node.procName)), 0o444);
      return { ret: 0, fd_obj: new OpenFile(snapshot, true, false, false) };
    }
    if (!(node instanceof MemFile)) return none(E.ERRNO_NOTSUP);
    if ((writable && !(node.mode & 0o200)) || (readable && !(node.mode & 0o400))) return none(E.ERRNO_ACCES);
    if (oflags & E.OFLAGS_TRUNC && writable && node.size > 0) node.resize(0);
    return { ret: 0, fd_obj: new OpenFile(node, readable, writable, (fdflags & E.FDFLAGS_APPEND) !== 0) };
  }

  override path_create_directory(path: string): number {
    const r = this.resolve(path, false);
    if (r.ret) return r.ret;
    if (r.node || !r.parent) return E.ERRNO_EXIST;
    if (!(r.parent.mode & 0o200)) return E.ERRNO_ACCES;
    r.parent.link(r.name, new MemDir(r.parent.fs));
    return 0;
  }
  override path_unlink_file(path: string): number {
    const r = this.resolve(path, false);
    if (r.ret) return r.ret;
    if (!r.node) return E.ERRNO_NOENT;
    if (r.node instanceof MemDir || !r.parent) return E.ERRNO_ISDIR;
    if (!(r.parent.mode & 0o200)) return E.ERRNO_ACCES;
    r.parent.unlink(r.name);
    return 0;
  }
  override path_remove_directory(path: string): number {
    const r = this.resolve(path, false);
    if (r.ret) return r.ret;
    if (!r.node) return E.ERRNO_NOENT;
    if (!(r.node instanceof MemDir)) return E.ERRNO_NOTDIR;
    if (!r.parent) return E.ERRNO_INVAL;
    if (r.node.entries.size > 0) return E.ERRNO_NOTEMPTY;
    r.parent.unlink(r.name);
    return 0;
  }
  override path_filestat_get(flags: number, path: string) {
    const r = this.resolve(path, (flags & SYMLINK_FOLLOW) !== 0);
    if (r.ret || !r.node) return { ret: r.ret || E.ERRNO_NOENT, filestat: null };
    return { ret: 0, filestat: r.node.stat() };
  }
  override path_filestat_set_times(
    _f: number,
    path: string,
    atim: bigint,
    mtim: bigint,
    flags: number,
  ): number {
    const r = this.resolve(path);
    if (r.ret || !r.node) return r.ret || E.ERRNO_NOENT;
    return setTimes(r.node, atim, mtim, flags);
  }
  override path_lookup(path: string, dirflags: number) {
    const r = this.resolve(path, (dirflags & SYMLINK_FOLLOW) !== 0);
    if (r.ret || !r.node) return { ret: r.ret || E.ERRNO_NOENT, inode_obj: null };
    return { ret: 0, inode_obj: r.node };
  }
  override path_readlink(path: string) {
    const r = this.resolve(path, false);
    if (r.node instanceof MemSymlink) return { ret: 0, data: r.node.target };
    return { ret: r.ret || (r.node ? E.ERRNO_INVAL : E.ERRNO_NOENT), data: null };
  }
  /** link(2): a new name for a file (never a directory). */
  override path_link(path: string, inode: unknown): number {
    if (!(inode instanceof MemFile || inode instanceof DevNode || inode instanceof MemSymlink))
      return E.ERRNO_PERM;
    const r = this.resolve(path, false);
    if (r.ret) return r.ret;
    if (r.node || !r.parent) return E.ERRNO_EXIST;
    r.parent.link(r.name, inode);
    return 0;
  }

  /** rename(2) from `oldPath` here to `newPath` under `to`. */
  rename(oldPath: string, to: OpenDir, newPath: string): number {
    const a = this.resolve(oldPath, false);
    if (a.ret) return a.ret;
    if (!a.node) return E.ERRNO_NOENT;
    if (!a.parent) return E.ERRNO_BUSY;
    const b = to.resolve(newPath, false);
    if (b.ret) return b.ret;
    if (!b.parent) return E.ERRNO_BUSY;
    const node = a.node;
    if (b.node === node) return 0;
    if (node instanceof MemDir) {
      if (node.contains(b.parent)) return E.ERRNO_INVAL;
      if (b.node && !(b.node instanceof MemDir)) return E.ERRNO_NOTDIR;
      if (b.node instanceof MemDir && b.node.entries.size > 0) return E.ERRNO_NOTEMPTY;
    } else if (b.node instanceof MemDir) {
      return E.ERRNO_ISDIR;
    } else if (a.dirOnly) {
      return E.ERRNO_NOTDIR;
    }
    node.nlink++; // keep the inode alive while it moves
    a.parent.unlink(a.name);
    if (b.node) b.parent.unlink(b.name);
    b.parent.link(b.name, node);
    node.nlink--;
    if (node.parent !== b.parent || node.name !== b.name) {
      node.parent = b.parent;
      node.name = b.name;
    }
    return 0;
  }
}
