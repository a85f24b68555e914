/**
 * WASI preview1 imports of one process: browser_wasi_shim's implementation, with the
 * calls that can block, loop or are wrong in shim 0.4.2 replaced:
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
import { OpenDir } from "./dir-handle.js";
import { OpenDevice } from "./fs-handles.js";
import { type Handle, OutputSink, PipeReader, PipeWriter } from "./handle.js";
import type { Kernel } from "./kernel.js";
import { SIGPIPE } from "./kernel-api.js";
import { ProcExit, type Process } from "./process.js";

const E = wasi;
const FD_PATH = /^\/*(dev\/fd|proc\/self\/fd)\/(\d+)$/;
const enc = new TextEncoder();
const dec = new TextDecoder();

type Fn = (...args: never[]) => unknown;

export function wasiImports(k: Kernel, p: Process): Record<string, Fn> {
  const base = p.wasi.wasiImport as Record<string, Fn>;
  const mem = () => new Uint8Array(p.ex.memory.buffer);
  const str = (ptr: number, len: number) => dec.decode(mem().subarray(ptr, ptr + len));

  /** iovecs as [address, length] pairs, empty ones skipped. */
  const iovecs = (ptr: number, n: number): [number, number][] => {
    const dv = p.view();
    const out: [number, number][] = [];
    for (let i = 0; i < n; i++) {
      const len = dv.getUint32(ptr + 8 * i + 4, true);
      if (len > 0) out.push([dv.getUint32(ptr + 8 * i, true), len]);
    }
    return out;
  };

  const wake = (q: object | null) => {
    if (q && q !== p) k.boost(q as Process);
  };

  const sigpipe = (): number => {
    k.signal(p, SIGPIPE); // ends the process unless SIGPIPE is ignored or handled
    return E.ERRNO_PIPE;
  };

  const pipeReady = (fd: number, write: boolean): boolean => {
    const h = p.fds[fd];
    if (h instanceof PipeReader && !write) return h.pipe.size > 0 || h.pipe.writers === 0;
    if (h instanceof PipeWriter && write) return h.pipe.space() > 0 || h.pipe.readers === 0;
    return true;
  };

  return {
    ...base,
    args_sizes_get(argcPtr: number, sizePtr: number): number {
      const dv = p.view();
      dv.setUint32(argcPtr, p.wasi.args.length, true);
      dv.setUint32(
        sizePtr,
        p.wasi.args.reduce((n, a) => n + enc.encode(a).byteLength + 1, 0),
        true,
      );
      return 0;
    },

    fd_write(fd: number, iovsPtr: number, iovsLen: number, nwrittenPtr: number): number {
      p.resumed();
      k.checkInterrupt();
      if (k.preempt(p)) return 0;
      const h = p.fds[fd];
      if (!h) return E.ERRNO_BADF;
      const vecs = iovecs(iovsPtr, iovsLen);
      const total = vecs.reduce((n, [, l]) => n + l, 0);
      const m = mem();
      const data = new Uint8Array(total);
      let off = 0;
      for (const [a, l] of vecs) {
        data.set(m.subarray(a, a + l), off);
        off += l;
      }
      let written = 0;
      if (h instanceof PipeWriter) {
        const pipe = h.pipe;
        if (pipe.readers === 0) return sigpipe();
        if (total > 0 && pipe.space() === 0) {
          pipe.waitingWriter = p;
          k.block(p, { ready: () => pipe.space() > 0 || pipe.readers === 0 });
          return 0;
        }
        written = pipe.put(data);
        wake(pipe.waitingReader);
        pipe.waitingReader = null;
      } else if (total > 0) {
        const r = h.fd_write(data);
        if (r.ret !== 0) return r.ret;
        written = r.nwritten;
      }
      p.view().setUint32(nwrittenPtr, written, true);
      return 0;
    },

    fd_read(fd: number, iovsPtr: number, iovsLen: number, nreadPtr: number): number {
      p.resumed();
      k.checkInterrupt();
      if (k.preempt(p)) return 0;
      const h = p.fds[fd];
      if (!h) return E.ERRNO_BADF;
      const vecs = iovecs(iovsPtr, iovsLen);
      const want = vecs.reduce((n, [, l]) => n + l, 0);
      let data: Uint8Array;
      if (h instanceof PipeReader) {
        const pipe = h.pipe;
        if (want > 0 && pipe.size === 0 && pipe.writers > 0) {
          pipe.waitingReader = p;
          k.block(p, { ready: () => pipe.size > 0 || pipe.writers === 0 });
          return 0;
        }
        data = pipe.take(want);
        wake(pipe.waitingWriter);
        pipe.waitingWriter = null;
      } else if (h instanceof OutputSink || h instanceof PipeWriter) {
        return E.ERRNO_BADF;
      } else {
        const r = h.fd_read(want);
        if (r.ret !== 0) return r.ret;
        data = r.data;
      }
      const m = mem();
      let off = 0;
      for (const [a, l] of vecs) {
        if (off >= data.byteLength) break;
        const part = data.subarray(off, off + l);
        m.set(part, a);
        off += part.byteLength;
      }
      p.view().setUint32(nreadPtr, data.byteLength, true);
      return 0;
    },

    poll_oneoff(inPtr: number, outPtr: number, nsubs: number, neventsPtr: number): number {
      const resumed = p.resumed();
      k.checkInterrupt();
      if (nsubs === 0) return E.ERRNO_INVAL;
      const dv = p.view();
      const now = performance.now();
      let deadline = resumed ? p.pollDeadline : undefined;
      const fdSubs: { userdata: bigint; type: number; fd: number }[] = [];
      let clockUserdata: bigint | undefined;
      for (let i = 0; i < nsubs; i++) {
        const s = inPtr + 48 * i;
        const userdata = dv.getBigUint64(s, true);
        const type = dv.getUint8(s + 8);
        if (type === E.EVENTTYPE_CLOCK) {
          const timeoutNs = dv.getBigUint64(s + 24, true);
          const abs = (dv.getUint16(s + 40, true) & E.SUBCLOCKFLAGS_SUBSCRIPTION_CLOCK_ABSTIME) !== 0;
          const clock = dv.getUint32(s + 16, true);
          let ms = Number(timeoutNs) / 1e6;
          if (abs) ms -= clock === E.CLOCKID_REALTIME ? Date.now() : now;
          if (!resumed || p.pollDeadline === undefined) deadline = Math.min(deadline ?? Infinity, now + ms);
          clockUserdata ??= userdata;
        } else {
          fdSubs.push({ userdata, type, fd: dv.getUint32(s + 16, true) });
        }
      }
      let n = 0;
      const event = (userdata: bigint, error: number, type: number, hangup = false) => {
        const e = outPtr + 32 * n++;
        dv.setBigUint64(e, userdata, true);
        dv.setUint16(e + 8, error, true);
        dv.setUint8(e + 10, type);
        dv.setBigUint64(e + 16, 1n, true);
        dv.setUint16(e + 24, hangup ? E.EVENTRWFLAGS_FD_READWRITE_HANGUP : 0, true);
      };
      for (const s of fdSubs) {
        if (!p.fds[s.fd]) event(s.userdata, E.ERRNO_BADF, s.type);
        else if (pipeReady(s.fd, s.type === E.EVENTTYPE_FD_WRITE)) event(s.userdata, 0, s.type);
      }
      if (n === 0 && clockUserdata !== undefined && deadline !== undefined && performance.now() >= deadline) {
        event(clockUserdata, 0, E.EVENTTYPE_CLOCK);
      }
      if (n === 0 && resumed && p.sigPending.length > 0) {
        p.pollDeadline = undefined;
        return E.ERRNO_INTR;
      }
      if (n === 0) {
        p.pollDeadline = deadline;
        const anyReady = () => fdSubs.some((s) => pipeReady(s.fd, s.type === E.EVENTTYPE_FD_WRITE));
        k.block(p, {
          ready: () => p.sigPending.length > 0 || anyReady(),
          ...(deadline === undefined ? {} : { deadline }),
        });
        return 0;
      }
      p.pollDeadline = undefined;
      dv.setUint32(neventsPtr, n, true);
      return 0;
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
      k.checkInterrupt();
      const dir = p.fds[dirfd];
      if (!(dir instanceof OpenDir)) return dir ? E.ERRNO_NOTDIR : E.ERRNO_BADF;
      const path = str(pathPtr, pathLen);
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
      if (!p.fds[fd]) return E.ERRNO_BADF;
      p.setFd(fd, undefined);
      return 0;
    },

    fd_renumber(from: number, to: number): number {
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
      const a = p.fds[fd];
      const b = p.fds[newFd];
      if (!(a instanceof OpenDir) || !(b instanceof OpenDir)) return E.ERRNO_BADF;
      return a.rename(str(oldPtr, oldLen), b, str(newPtr, newLen));
    },

    path_symlink(targetPtr: number, targetLen: number, fd: number, pathPtr: number, pathLen: number): number {
      const dir = p.fds[fd];
      if (!(dir instanceof OpenDir)) return dir ? E.ERRNO_NOTDIR : E.ERRNO_BADF;
      return dir.symlink(str(targetPtr, targetLen), str(pathPtr, pathLen));
    },
    proc_exit(code: number): never {
      throw new ProcExit(code);
    },
    proc_raise(sig: number): number {
      k.signal(p, sig);
      return 0;
    },
    sched_yield: (): number => 0,
  };
}
