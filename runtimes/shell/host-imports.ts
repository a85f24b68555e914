/**
 * The "bbhost" imports busybox's compat layer calls (runtimes/shell/build/compat/host.h)
 * and the env.invoke_* trampolines of the Emscripten-style setjmp/longjmp lowering.
 * Imports return >= 0 or -errno (Linux errno numbers as wasi-libc defines them).
 */
import { Pipe, PipeReader, PipeWriter } from "./handle.js";
import type { Kernel } from "./kernel.js";
import { SIGKILL } from "./kernel-api.js";
import { LONGJMP, type Process } from "./process.js";

/** wasi-libc errno values (the same numbers as WASI's errno codes). */
const EBADF = 8;
const ECHILD = 12;
const EINTR = 27;
const EINVAL = 28;
const EMFILE = 33;
const ESRCH = 71;
const WNOHANG = 1;

export function hostImports(k: Kernel, p: Process): Record<string, (...args: never[]) => unknown> {
  const dupTo = (fd: number, to: number): number => {
    const h = p.fds[fd];
    if (!h) return -EBADF;
    if (to === fd) return to;
    p.setFd(to, h.retain());
    return to;
  };
  const hasHandler = () => p.sigPending.length > 0;
  return {
    dup_min(fd: number, min: number, cloexec: number): number {
      if (!p.fds[fd]) return -EBADF;
      if (min < 0) return -EINVAL;
      const to = p.freeFd(min);
      if (to < 0) return -EMFILE;
      dupTo(fd, to);
      if (cloexec) p.cloexec.add(to);
      return to;
    },
    fdflags(fd: number, cloexec: number): number {
      if (!p.fds[fd]) return -EBADF;
      if (cloexec < 0) return p.cloexec.has(fd) ? 1 : 0;
      if (cloexec) p.cloexec.add(fd);
      else p.cloexec.delete(fd);
      return 0;
    },
    dup2(fd: number, to: number): number {
      if (to < 0 || to >= 1024) return -EBADF;
      return dupTo(fd, to);
    },
    pipe(ptr: number): number {
      const pipe = new Pipe();
      const r = p.freeFd();
      if (r < 0) return -EMFILE;
      p.setFd(r, new PipeReader(pipe));
      const w = p.freeFd();
      if (w < 0) {
        p.setFd(r, undefined);
        return -EMFILE;
      }
      p.setFd(w, new PipeWriter(pipe));
      const dv = p.view();
      dv.setInt32(ptr, r, true);
      dv.setInt32(ptr + 4, w, true);
      return 0;
    },
    fork(): number {
      if (p.resumed()) return p.forkResult;
      k.checkInterrupt();
      p.forkRequested = true;
      k.block(p, { ready: () => true });
      return 0;
    },
    waitpid(pid: number, statusPtr: number, options: number): number {
      const resumed = p.resumed();
      k.checkInterrupt();
      const matches = (c: Process) => pid <= 0 || c.pid === pid;
      const kids = [...p.children].filter(matches);
      if (kids.length === 0) return -ECHILD;
      const z = kids.find((c) => c.state === "zombie");
      if (z) {
        k.reap(p, z);
        p.view().setInt32(statusPtr, z.status, true);
        return z.pid;
      }
      if (options & WNOHANG) return 0;
      if (resumed && hasHandler()) return -EINTR;
      k.block(p, { ready: () => hasHandler() || kids.some((c) => c.state === "zombie") });
      return 0;
    },
    getpid: (): number => p.pid,
    getppid: (): number => p.ppid,
    kill(pid: number, sig: number): number {
      if (sig < 0 || sig >= 65) return -EINVAL;
      let targets: Process[];
      if (pid > 0) {
        const t = k.find(pid);
        if (!t) return -ESRCH;
        targets = [t];
      } else if (pid < -1) {
        const t = k.find(-pid);
        if (!t) return -ESRCH;
        targets = k.subtree(t);
      } else {
        targets = pid === 0 ? k.subtree(p) : k.liveProcesses().filter((q) => q.pid !== 1 || q === p);
      }
      // others first: a signal that ends this process throws out of this call
      for (const t of targets) if (t !== p) k.signal(t, sig);
      if (targets.includes(p)) k.signal(p, sig);
      return 0;
    },
    sigdisp(sig: number, disp: number): number {
      if (sig <= 0 || sig >= 65 || sig === SIGKILL) return -EINVAL;
      p.sigDisp[sig] = disp;
      return 0;
    },
    sigsuspend(): number {
      p.resumed();
      k.checkInterrupt();
      if (hasHandler()) return 0;
      k.block(p, { ready: hasHandler });
      return 0;
    },
    sigtake: (): number => p.sigPending.shift() ?? 0,
    tick(): void {
      if (p.resumed()) return;
      k.checkInterrupt();
      k.preempt(p);
    },
    exec(namePtr: number): void {
      const mem = new Uint8Array(p.ex.memory.buffer);
      let end = namePtr;
      while (end < mem.length && mem[end] !== 0 && end - namePtr < 256) end++;
      p.name = new TextDecoder().decode(mem.subarray(namePtr, end));
      // exec resets caught signals to their default action and closes close-on-exec fds
      for (let s = 0; s < p.sigDisp.length; s++) if (p.sigDisp[s] === 2) p.sigDisp[s] = 0;
      p.sigPending.length = 0;
      p.closeOnExec();
    },
    memgrow(newTotal: number): number {
      k.chargeMemory(p, newTotal >>> 0);
      return 1;
    },
    getmode: (ino: bigint): number => k.opts.modeOf(ino),
    setmode: (ino: bigint, mode: number): number => (k.opts.setMode(ino, mode) ? 0 : -ESRCH),
    sysinfo(ptr: number): number {
      const [fsTotal, fsUsed] = k.opts.fsInfo();
      const mem = k.memoryInUse();
      const dv = p.view();
      dv.setBigUint64(ptr, BigInt(fsTotal), true);
      dv.setBigUint64(ptr + 8, BigInt(fsUsed), true);
      dv.setBigUint64(ptr + 16, BigInt(k.opts.memoryBytes), true);
      dv.setBigUint64(ptr + 24, BigInt(mem), true);
      return 0;
    },
    throw_longjmp(): never {
      throw LONGJMP;
    },
  };
}

/**
 * env.invoke_<sig>(index, ...args): call a table function; a longjmp out of it (the
 * LONGJMP throw) comes back here, where the stack pointer is restored and the caller
 * finds __THREW__ set. Also Asyncify imports: an unwind passes through them.
 */
export function invokeImports(names: string[], p: Process): Record<string, (...args: never[]) => unknown> {
  const out: Record<string, (...args: never[]) => unknown> = {};
  for (const name of names) {
    const zero = name[7] === "j" ? 0n : 0;
    out[name] = (index: number, ...args: unknown[]) => {
      const ex = p.ex;
      const sp = ex.__stack_pointer.value;
      try {
        return (ex.__indirect_function_table.get(index) as (...a: unknown[]) => unknown)(...args);
      } catch (e) {
        if (e !== LONGJMP) throw e;
        ex.__stack_pointer.value = sp;
        return zero;
      }
    };
  }
  return out;
}
