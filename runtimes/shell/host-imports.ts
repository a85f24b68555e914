/**
 * The "bbhost" imports busybox's compat layer calls (runtimes/shell/build/compat/host.h),
 * except throw_longjmp (sjlj-glue.ts).
 * Imports return >= 0 or -errno (Linux errno numbers as wasi-libc defines them).
 */
import { Pipe, PipeReader, PipeWriter } from "./handle.js";
import { SIGKILL } from "./kernel-api.js";
import { stackLow } from "./memory-image.js";
import { type Process, type ProcessSlot, READY } from "./process.js";
import { readString } from "./wasm-strings.js";

/** wasi-libc errno values (the same numbers as WASI's errno codes). */
const EBADF = 8;
const ECHILD = 12;
const EINTR = 27;
const EINVAL = 28;
const EMFILE = 33;
const ESRCH = 71;
const WNOHANG = 1;

const dupTo = (p: Process, fd: number, to: number): number => {
  const h = p.fds[fd];
  if (!h) return -EBADF;
  if (to === fd) return to;
  p.setFd(to, h.retain());
  return to;
};
const hasHandler = (p: Process): boolean => p.sigPending.length > 0;

/** The bbhost imports of the instance in `slot`, acting for the process owning it. */
export function hostImports(slot: ProcessSlot): Record<string, (...args: never[]) => unknown> {
  return {
    dup_min(fd: number, min: number, cloexec: number): number {
      const p = slot.owner();
      if (!p.fds[fd]) return -EBADF;
      if (min < 0) return -EINVAL;
      const to = p.freeFd(min);
      if (to < 0) return -EMFILE;
      dupTo(p, fd, to);
      if (cloexec) p.cloexec.add(to);
      return to;
    },
    fdflags(fd: number, cloexec: number): number {
      const p = slot.owner();
      if (!p.fds[fd]) return -EBADF;
      if (cloexec < 0) return p.cloexec.has(fd) ? 1 : 0;
      if (cloexec) p.cloexec.add(fd);
      else p.cloexec.delete(fd);
      return 0;
    },
    dup2(fd: number, to: number): number {
      if (to < 0 || to >= 1024) return -EBADF;
      return dupTo(slot.owner(), fd, to);
    },
    pipe(ptr: number): number {
      const p = slot.owner();
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
      const p = slot.owner();
      if (p.resumed()) return p.forkResult;
      p.kernel.checkInterrupt();
      p.forkRequested = true;
      p.kernel.block(p, READY);
      return 0;
    },
    waitpid(pid: number, statusPtr: number, options: number): number {
      const p = slot.owner();
      const k = p.kernel;
      const resumed = p.resumed();
      k.checkInterrupt();
      const matches = (c: Process) => pid <= 0 || c.pid === pid;
      const kids: Process[] = [];
      for (const c of p.children) if (matches(c)) kids.push(c);
      if (kids.length === 0) return -ECHILD;
      const z = kids.find((c) => c.state === "zombie");
      if (z) {
        k.reap(p, z);
        p.view().setInt32(statusPtr, z.status, true);
        return z.pid;
      }
      if (options & WNOHANG) return 0;
      if (resumed && hasHandler(p)) return -EINTR;
      k.block(p, { ready: () => hasHandler(p) || kids.some((c) => c.state === "zombie") });
      return 0;
    },
    getpid: (): number => slot.owner().pid,
    getppid: (): number => slot.owner().ppid,
    kill(pid: number, sig: number): number {
      const p = slot.owner();
      const k = p.kernel;
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
      slot.owner().sigDisp[sig] = disp;
      return 0;
    },
    sigsuspend(): number {
      const p = slot.owner();
      p.resumed();
      p.kernel.checkInterrupt();
      if (hasHandler(p)) return 0;
      p.kernel.block(p, { ready: () => hasHandler(p) });
      return 0;
    },
    sigtake: (): number => slot.owner().sigPending.shift() ?? 0,
    tick(): void {
      const p = slot.owner();
      if (p.resumed()) return;
      p.kernel.checkInterrupt();
      p.kernel.preempt(p);
    },
    exec(namePtr: number): void {
      const p = slot.owner();
      const mem = p.bytes();
      let end = namePtr;
      while (end < mem.length && mem[end] !== 0 && end - namePtr < 256) end++;
      p.name = readString(mem, namePtr, end - namePtr);
      // exec resets caught signals to their default action and closes close-on-exec fds
      for (let s = 0; s < p.sigDisp.length; s++) if (p.sigDisp[s] === 2) p.sigDisp[s] = 0;
      p.sigPending.length = 0;
      p.closeOnExec();
    },
    memgrow(newTotal: number): number {
      const p = slot.owner();
      p.kernel.chargeMemory(p, newTotal >>> 0);
      return 1;
    },
    getmode: (ino: bigint): number => slot.owner().kernel.opts.modeOf(ino),
    setmode: (ino: bigint, mode: number): number =>
      slot.owner().kernel.opts.setMode(ino, mode) ? 0 : -ESRCH,
    sysinfo(ptr: number): number {
      const p = slot.owner();
      const k = p.kernel;
      const [fsTotal, fsUsed] = k.opts.fsInfo();
      const mem = k.memoryInUse();
      const dv = p.view();
      dv.setBigUint64(ptr, BigInt(fsTotal), true);
      dv.setBigUint64(ptr + 8, BigInt(fsUsed), true);
      dv.setBigUint64(ptr + 16, BigInt(k.opts.memoryBytes), true);
      dv.setBigUint64(ptr + 24, BigInt(mem), true);
      return 0;
    },
    stack_low(sp: number): void {
      stackLow(slot, sp);
    },
  };
}
