/**
 * WASI preview1 file system calls of an instance (bound once per slot, acting for the
 * process that owns it): they decode the arguments, call the handle (browser_wasi_shim's
 * `Fd` interface, implemented by dir-handle.ts and fs-handles.ts) and write the answer back,
 * as browser_wasi_shim's glue did, minus its per-call TextDecoder and copies.
 */
import { wasi } from "@bjorn3/browser_wasi_shim";
import { view } from "./arrays.js";
import type { ProcessSlot } from "./process.js";
import { readString } from "./wasm-strings.js";

const E = wasi;
const enc = new TextEncoder();

type Fn = (...args: never[]) => unknown;

export function wasiFsImports(slot: ProcessSlot): Record<string, Fn> {
  const path = (ptr: number, len: number): string => readString(slot.owner().bytes(), ptr, len);
  return {
    fd_fdstat_get(fd: number, ptr: number): number {
      const h = slot.owner().fds[fd];
      if (!h) return E.ERRNO_BADF;
      const { ret, fdstat } = h.fd_fdstat_get();
      fdstat?.write_bytes(slot.view(), ptr);
      return ret;
    },
    fd_fdstat_set_flags(fd: number, flags: number): number {
      return slot.owner().fds[fd]?.fd_fdstat_set_flags(flags) ?? E.ERRNO_BADF;
    },
    fd_filestat_get(fd: number, ptr: number): number {
      const h = slot.owner().fds[fd];
      if (!h) return E.ERRNO_BADF;
      const { ret, filestat } = h.fd_filestat_get();
      filestat?.write_bytes(slot.view(), ptr);
      return ret;
    },
    fd_filestat_set_size(fd: number, size: bigint): number {
      return slot.owner().fds[fd]?.fd_filestat_set_size(size) ?? E.ERRNO_BADF;
    },
    fd_filestat_set_times(fd: number, atim: bigint, mtim: bigint, flags: number): number {
      return slot.owner().fds[fd]?.fd_filestat_set_times(atim, mtim, flags) ?? E.ERRNO_BADF;
    },
    fd_prestat_get(fd: number, ptr: number): number {
      const h = slot.owner().fds[fd];
      if (!h) return E.ERRNO_BADF;
      const { ret, prestat } = h.fd_prestat_get();
      prestat?.write_bytes(slot.view(), ptr);
      return ret;
    },
    fd_prestat_dir_name(fd: number, ptr: number, len: number): number {
      const h = slot.owner().fds[fd];
      if (!h) return E.ERRNO_BADF;
      const { ret, prestat } = h.fd_prestat_get();
      if (!prestat) return ret;
      const name = prestat.inner.pr_name;
      slot.bytes().set(view(name, 0, len), ptr);
      return name.byteLength > len ? E.ERRNO_NAMETOOLONG : E.ERRNO_SUCCESS;
    },
    fd_readdir(fd: number, buf: number, bufLen: number, cookie: bigint, usedPtr: number): number {
      const h = slot.owner().fds[fd];
      if (!h) return E.ERRNO_BADF;
      const dv = slot.view();
      const mem = slot.bytes();
      let used = 0;
      for (;;) {
        const { ret, dirent } = h.fd_readdir_single(cookie);
        if (ret !== 0) {
          dv.setUint32(usedPtr, used, true);
          return ret;
        }
        if (!dirent) break;
        const head = dirent.head_length();
        if (bufLen - used < head) {
          used = bufLen;
          break;
        }
        dirent.write_head_bytes(dv, buf);
        buf += head;
        used += head;
        const nameLen = dirent.name_length();
        if (bufLen - used < nameLen) {
          used = bufLen; // wasi-libc reads the truncated entry again
          break;
        }
        dirent.write_name_bytes(mem, buf, nameLen);
        buf += nameLen;
        used += nameLen;
        cookie = dirent.d_next;
      }
      dv.setUint32(usedPtr, used, true);
      return 0;
    },
    fd_seek(fd: number, offset: bigint, whence: number, outPtr: number): number {
      const h = slot.owner().fds[fd];
      if (!h) return E.ERRNO_BADF;
      const r = h.fd_seek(offset, whence);
      slot.view().setBigInt64(outPtr, r.offset, true);
      return r.ret;
    },
    fd_sync(fd: number): number {
      return slot.owner().fds[fd]?.fd_sync() ?? E.ERRNO_BADF;
    },
    fd_tell(fd: number, ptr: number): number {
      const h = slot.owner().fds[fd];
      if (!h) return E.ERRNO_BADF;
      const r = h.fd_tell();
      slot.view().setBigUint64(ptr, r.offset, true);
      return r.ret;
    },
    path_create_directory(fd: number, ptr: number, len: number): number {
      return slot.owner().fds[fd]?.path_create_directory(path(ptr, len)) ?? E.ERRNO_BADF;
    },
    path_filestat_get(fd: number, flags: number, ptr: number, len: number, out: number): number {
      const h = slot.owner().fds[fd];
      if (!h) return E.ERRNO_BADF;
      const { ret, filestat } = h.path_filestat_get(flags, path(ptr, len));
      filestat?.write_bytes(slot.view(), out);
      return ret;
    },
    path_filestat_set_times(
      fd: number,
      flags: number,
      ptr: number,
      len: number,
      atim: bigint,
      mtim: bigint,
      fstFlags: number,
    ): number {
      const h = slot.owner().fds[fd];
      return h ? h.path_filestat_set_times(flags, path(ptr, len), atim, mtim, fstFlags) : E.ERRNO_BADF;
    },
    path_link(
      oldFd: number,
      oldFlags: number,
      oldPtr: number,
      oldLen: number,
      newFd: number,
      newPtr: number,
      newLen: number,
    ): number {
      const p = slot.owner();
      const from = p.fds[oldFd];
      const to = p.fds[newFd];
      if (!from || !to) return E.ERRNO_BADF;
      const { ret, inode_obj } = from.path_lookup(path(oldPtr, oldLen), oldFlags);
      if (!inode_obj) return ret;
      return to.path_link(path(newPtr, newLen), inode_obj, false);
    },
    path_readlink(
      fd: number,
      ptr: number,
      len: number,
      buf: number,
      bufLen: number,
      nreadPtr: number,
    ): number {
      const h = slot.owner().fds[fd];
      if (!h) return E.ERRNO_BADF;
      const { ret, data } = h.path_readlink(path(ptr, len));
      if (data !== null) {
        const bytes = enc.encode(data);
        if (bytes.byteLength > bufLen) {
          slot.view().setUint32(nreadPtr, 0, true);
          return E.ERRNO_BADF;
        }
        slot.bytes().set(bytes, buf);
        slot.view().setUint32(nreadPtr, bytes.byteLength, true);
      }
      return ret;
    },
    path_remove_directory(fd: number, ptr: number, len: number): number {
      return slot.owner().fds[fd]?.path_remove_directory(path(ptr, len)) ?? E.ERRNO_BADF;
    },
    path_unlink_file(fd: number, ptr: number, len: number): number {
      return slot.owner().fds[fd]?.path_unlink_file(path(ptr, len)) ?? E.ERRNO_BADF;
    },
  };
}
