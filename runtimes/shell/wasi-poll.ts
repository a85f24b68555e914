/**
 * poll_oneoff for the shell kernel: any mix of clock and fd subscriptions (browser_wasi_shim
 * 0.4.2 took one clock subscription only and busy-waited). Pipes are ready when they have
 * data or space (or the other end is gone); every other fd is always ready. With nothing
 * ready the process blocks (unwinds) until an fd is ready, the clock's deadline passes or a
 * handled signal arrives (then EINTR).
 */
import { wasi } from "@bjorn3/browser_wasi_shim";
import { PipeReader, PipeWriter } from "./handle.js";
import type { Process } from "./process.js";

const E = wasi;

/** True when fd `fd` of `p` can be read (or written) without blocking. */
export function pipeReady(p: Process, fd: number, write: boolean): boolean {
  const h = p.fds[fd];
  if (h instanceof PipeReader && !write) return h.pipe.size > 0 || h.pipe.writers === 0;
  if (h instanceof PipeWriter && write) return h.pipe.space() > 0 || h.pipe.readers === 0;
  return true;
}

interface FdSub {
  readonly userdata: bigint;
  readonly type: number;
  readonly fd: number;
}

export function pollOneoff(
  p: Process,
  inPtr: number,
  outPtr: number,
  nsubs: number,
  neventsPtr: number,
): number {
  const resumed = p.resumed();
  const k = p.kernel;
  k.checkInterrupt();
  if (nsubs === 0) return E.ERRNO_INVAL;
  const dv = p.view();
  const now = performance.now();
  let deadline = resumed ? p.pollDeadline : undefined;
  const fdSubs: FdSub[] = [];
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
    else if (pipeReady(p, s.fd, s.type === E.EVENTTYPE_FD_WRITE)) event(s.userdata, 0, s.type);
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
    const anyReady = () => fdSubs.some((s) => pipeReady(p, s.fd, s.type === E.EVENTTYPE_FD_WRITE));
    k.block(p, {
      ready: () => p.sigPending.length > 0 || anyReady(),
      ...(deadline === undefined ? {} : { deadline }),
    });
    return 0;
  }
  p.pollDeadline = undefined;
  dv.setUint32(neventsPtr, n, true);
  return 0;
}
