/**
 * WASI preview1 imports of an instance (bound once per slot, acting for the process that
 * owns the slot now): process, clock and I/O calls here, file system calls in
 * wasi-fs-imports.ts. Written for this kernel instead of browser_wasi_shim's glue, whose
 * calls that can block, loop or were wrong in shim 0.4.2 had to be replaced anyway:
 * - fd_read / fd_write / poll_oneoff block on pipes and clocks by unwinding (Asyncify)
 *   instead of failing or busy-waiting; empty iovecs are skipped, not taken as EOF;
 * - poll_oneoff handles any mix of clock and fd subscriptions (the shim: one clock only);
 * - path_open takes the lowest free fd (the shim appends); /dev/std* duplicate fds;
 * - fd_close drops one reference of a shared open file description; proc_exit unwinds;
 * - args_sizes_get counts UTF-8 bytes (the shim counts UTF-16 units);
 * - path_rename moves inodes without freeing them; path_symlink makes symbolic links.
 * Every call that may loop checks the step's interrupt flag.
 */
import { wasi } from "@bjorn3/browser_wasi_shim";
import { view } from "./arrays.js";
import { OpenDir } from "./dir-handle.js";
import { OpenDevice } from "./fs-handles.js";
import { type Handle, OutputSink, PipeReader, PipeWriter } from "./handle.js";
import { SIGPIPE } from "./kernel-api.js";
import { nowNs } from "./mem-fs.js";
import { ProcExit, type Process, type ProcessSlot } from "./process.js";
import { pollOneoff } from "./wasi-poll.js";
import { encodeList, readString, writeList } from "./wasm-strings.js";

const E = wasi;
const FD_PATH = /^\/*(dev\/fd|proc\/self\/fd)\/(\d+)$/;

type Fn = (...args: never[]) => unknown;

/** Scratch space to gather a write's iovecs (the receivers copy what they keep). */
let gather = new Uint8Array(65536);

/** The bytes an fd_write names: a view of wasm memory for one iovec, else gathered. */
function writeData(p: Process, iovs: number, n: number): Uint8Array {
  const dv = p.view();
  const mem = p.bytes();
  if (n === 1) {
    const a = dv.getUint32(iovs, true);
    return view(mem, a, a + dv.getUint32(iovs + 4, true));
  }
  let total = 0;
  for (let i = 0; i < n; i++) total += dv.getUint32(iovs + 8 * i + 4, true);
  if (total > gather.byteLength) gather = new Uint8Array(total);
  let off = 0;
  for (let i = 0; i < n; i++) {
    const a = dv.getUint32(iovs + 8 * i, true);
    const l = dv.getUint32(iovs + 8 * i + 4, true);
    gather.set(view(mem, a, a + l), off);
    off += l;
  }
  return view(gather, 0, total);
}

/** `*_sizes_get` of the process's arguments or environment: the count and the bytes they take. */
function listSizes(p: Process, list: "args" | "env", countPtr: number, sizePtr: number): number {
  const dv = p.view();
  dv.setUint32(countPtr, p[list].length, true);
  dv.setUint32(sizePtr, encodeList(p[list]).bytes.byteLength, true);
  return 0;
}

/** `args_get` / `environ_get`: the pointers at `ptrs`, the strings at `buf`. */
function listGet(p: Process, list: "args" | "env", ptrs: number, buf: number): number {
  writeList(p[list], p.view(), p.bytes(), ptrs, buf);
  return 0;
}

/** Scatters `data` over the iovecs at `iovs`. */
function scatter(p: Process, iovs: number, n: number, data: Uint8Array): void {
  const dv = p.view();
  const mem = p.bytes();
  let off = 0;
  for (let i = 0; i < n && off < data.byteLength; i++) {
    const a = dv.getUint32(iovs + 8 * i, true);
    const l = dv.getUint32(iovs + 8 * i + 4, true);
    const part = view(data, off, off + l);
    mem.set(part, a);
    off += part.byteLength;
  }
}

const wake = (p: Process, q: object | null): void => {
  if (q && q !== p) p.kernel.boost(q as Process);
};

const sigpipe = (p: Process): number => {
  p.kernel.signal(p, SIGPIPE); // ends the process unless SIGPIPE is ignored or handled
  return E.ERRNO_PIPE;
};

export function wasiImports(slot: ProcessSlot): Record<string, Fn> {
  return {
    args_sizes_get: (argcPtr: number, sizePtr: number): number =>
      listSizes(slot.owner(), "args", argcPtr, sizePtr),
    args_get: (argv: number, buf: number): number => listGet(slot.owner(), "args", argv, buf),
    environ_sizes_get: (countPtr: number, sizePtr: number): number =>
      listSizes(slot.owner(), "env", countPtr, sizePtr),
    environ_get: (environ: number, buf: number): number => listGet(slot.owner(), "env", environ, buf),
    clock_time_get(id: number, _precision: bigint, timePtr: number): number {
      const dv = slot.owner().view();
      if (id === E.CLOCKID_REALTIME) dv.setBigUint64(timePtr, nowNs(), true);
      else if (id === E.CLOCKID_MONOTONIC)
        dv.setBigUint64(timePtr, BigInt(Math.round(performance.now() * 1e6)), true);
      else dv.setBigUint64(timePtr, 0n, true);
      return 0;
    },
    random_get(buf: number, len: number): number {
      const mem = slot.owner().bytes();
      for (let i = 0; i < len; i += 65536)
        crypto.getRandomValues(view(mem, buf + i, buf + Math.min(len, i + 65536)) as Uint8Array<ArrayBuffer>);
      return 0;
    },

    fd_write(fd: number, iovs: number, iovsLen: number, nwrittenPtr: number): number {
      const p = slot.owner();
      const k = p.kernel;
      p.resumed();
      k.checkInterrupt();
      if (k.preempt(p)) return 0;
      const h = p.fds[fd];
      if (!h) return E.ERRNO_BADF;
      const data = writeData(p, iovs, iovsLen);
      let written = 0;
      if (h instanceof PipeWriter) {
        const pipe = h.pipe;
        if (pipe.readers === 0) return sigpipe(p);
        if (data.byteLength > 0 && pipe.space() === 0) {
          pipe.waitingWriter = p;
          k.block(p, { ready: () => pipe.space() > 0 || pipe.readers === 0 });
          return 0;
        }
        written = pipe.put(data);
        wake(p, pipe.waitingReader);
        pipe.waitingReader = null;
      } else if (data.byteLength > 0) {
        const r = h.fd_write(data);
        if (r.ret !== 0) return r.ret;
        written = r.nwritten;
      }
      p.view().setUint32(nwrittenPtr, written, true);
      return 0;
    },

    fd_read(fd: number, iovs: number, iovsLen: number, nreadPtr: number): number {
      const p = slot.owner();
      const k = p.kernel;
      p.resumed();
      k.checkInterrupt();
      if (k.preempt(p)) return 0;
      const h = p.fds[fd];
      if (!h) return E.ERRNO_BADF;
      const dv = p.view();
      let want = 0;
      for (let i = 0; i < iovsLen; i++) want += dv.getUint32(iovs + 8 * i + 4, true);
      let data: Uint8Array;
      if (h instanceof PipeReader) {
        const pipe = h.pipe;
        if (want > 0 && pipe.size === 0 && pipe.writers > 0) {
          pipe.waitingReader = p;
          k.block(p, { ready: () => pipe.size > 0 || pipe.writers === 0 });
          return 0;
        }
        data = pipe.take(want);
        wake(p, pipe.waitingWriter);
        pipe.waitingWriter = null;
      } else if (h instanceof OutputSink || h instanceof PipeWriter) {
        return E.ERRNO_BADF;
      } else {
        const r = h.fd_read(want);
        if (r.ret !== 0) return r.ret;
        data = r.data;
      }
      scatter(p, iovs, iovsLen, data);
      p.view().setUint32(nreadPtr, data.byteLength, true);
      return 0;
    },

    poll_oneoff(inPtr: number, outPtr: number, nsubs: number, neventsPtr: number): number {
      return pollOneoff(slot.owner(), inPtr, outPtr, nsubs, neventsPtr);
    },

    path_open(
      dirfd: number,
      dirflags: number,
      pathPtr: number,
      pathLen: number,
      oflags: number,
      rights: bigint,
      inheriting: bigint,
      fdflags: number,
      openedPtr: number,
    ): number {
      const p = slot.owner();
      p.kernel.checkInterrupt();
      const dir = p.fds[dirfd];
      if (!(dir instanceof OpenDir)) return dir ? E.ERRNO_NOTDIR : E.ERRNO_BADF;
      const path = readString(p.bytes(), pathPtr, pathLen);
      let h: Handle;
      const fdPath = dir.dir.parent === null ? FD_PATH.exec(path) : null;
      if (fdPath) {
        // /dev/fd/N and /proc/self/fd/N open a duplicate of fd N (process substitution)
        const src = p.fds[Number(fdPath[2])];
        if (!src) return E.ERRNO_NOENT;
        h = src.retain();
      } else {
        const r = dir.path_open(dirflags, path, oflags, rights, inheriting, fdflags);
        if (r.ret !== 0 || !r.fd_obj) return r.ret || E.ERRNO_NOENT;
        h = r.fd_obj;
        if (h instanceof OpenDevice && h.node.alias !== undefined) {
          const src = p.fds[h.node.alias];
          h.release();
          if (!src) return E.ERRNO_BADF;
          h = src.retain();
        }
      }
      const fd = p.freeFd();
      if (fd < 0) {
        h.release();
        return E.ERRNO_MFILE;
      }
      p.setFd(fd, h);
      p.view().setUint32(openedPtr, fd, true);
      return 0;
    },

    fd_close(fd: number): number {
      const p = slot.owner();
      if (!p.fds[fd]) return E.ERRNO_BADF;
      p.setFd(fd, undefined);
      return 0;
    },

    fd_renumber(from: number, to: number): number {
      const p = slot.owner();
      const h = p.fds[from];
      if (!h || to < 0 || to >= 1024) return E.ERRNO_BADF;
      if (from === to) return 0;
      p.setFd(to, h.retain());
      p.setFd(from, undefined);
      return 0;
    },

    path_rename(
      fd: number,
      oldPtr: number,
      oldLen: number,
      newFd: number,
      newPtr: number,
      newLen: number,
    ): number {
      const p = slot.owner();
      const a = p.fds[fd];
      const b = p.fds[newFd];
      if (!(a instanceof OpenDir) || !(b instanceof OpenDir)) return E.ERRNO_BADF;
      const mem = p.bytes();
      return a.rename(readString(mem, oldPtr, oldLen), b, readString(mem, newPtr, newLen));
    },

    path_symlink(targetPtr: number, targetLen: number, fd: number, pathPtr: number, pathLen: number): number {
      const p = slot.owner();
      const dir = p.fds[fd];
      if (!(dir instanceof OpenDir)) return dir ? E.ERRNO_NOTDIR : E.ERRNO_BADF;
      const mem = p.bytes();
      return dir.symlink(readString(mem, targetPtr, targetLen), readString(mem, pathPtr, pathLen));
    },
    proc_exit(code: number): never {
      throw new ProcExit(code);
    },
    proc_raise(sig: number): number {
      const p = slot.owner();
      p.kernel.signal(p, sig);
      return 0;
    },
    sched_yield: (): number => 0,
  };
}
