/**
 * One busybox process: a WebAssembly instance of the shared module, its fd table,
 * arguments and environment, signal state, and the Binaryen Asyncify bookkeeping that
 * lets a host import unwind the wasm stack (to block, to yield, or to fork) and later
 * rewind into the same call.
 */
import type { Handle } from "./handle.js";
import type { KernelOptions } from "./kernel-api.js";
import { copyMemory, type ImageSlot } from "./memory-image.js";
import { ASYNCIFY_BYTES, type BusyboxExports } from "./wasm-api.js";

/** Largest fd number + 1. */
export const MAX_FDS = 1024;

/** Why a blocked process waits: it runs again once `ready()` holds (or `deadline` passes). */
export interface WaitCondition {
  ready(): boolean;
  /** performance.now() time at which the process becomes ready anyway. */
  readonly deadline?: number;
}

export const READY: WaitCondition = { ready: () => true };

/*
 * A process, the instance it runs in and its kernel refer to each other. The two below are
 * declared here, next to Process, and implemented by Slot (instance-pool.ts) and Kernel
 * (kernel.ts), so that no file of the runtime imports one that imports it back.
 */

/** The instance a process runs in (a Slot of instance-pool.ts), as processes and host imports use it. */
export interface ProcessSlot extends ImageSlot {
  /** The process using this instance now. */
  proc: Process | undefined;
  /** The process owning this instance; a call from an instance no process owns is a bug. */
  owner(): Process;
  view(): DataView;
}

/** The kernel (kernel.ts) as its processes' host imports call it. */
export interface ProcessKernel {
  readonly opts: KernelOptions;
  block(p: Process, wait: WaitCondition): void;
  preempt(p: Process): boolean;
  checkInterrupt(): void;
  boost(p: Process): void;
  chargeMemory(p: Process, newBytes: number): void;
  signal(target: Process, sig: number): void;
  reap(parent: Process, child: Process): void;
  find(pid: number): Process | undefined;
  subtree(p: Process): Process[];
  memoryInUse(): number;
  liveProcesses(): readonly Process[];
}

/** Thrown by proc_exit: ends the running process. */
export class ProcExit {
  constructor(readonly code: number) {}
}
/** Thrown to end the running process by a signal (SIGPIPE, kill). */
export class ProcKilled {
  constructor(readonly signal: number) {}
}

/** A copy of an fd table with one more reference to each open file description. */
function retainAll(fds: readonly (Handle | undefined)[]): (Handle | undefined)[] {
  const out: (Handle | undefined)[] = [];
  for (let i = 0; i < fds.length; i++) out.push(fds[i]?.retain());
  return out;
}

export type ProcState = "running" | "blocked" | "zombie";

export class Process {
  readonly children = new Set<Process>();
  ex!: BusyboxExports;
  /** The (reusable) instance this process runs in. */
  slot: ProcessSlot | undefined;
  name = "sh";
  state: ProcState = "running";
  /** Set while blocked. */
  wait: WaitCondition | null = null;
  /** Unwound and waiting to be rewound into the host call that unwound it. */
  rewinding = false;
  unwinding = false;
  /** A fork was requested: the kernel clones this process after the unwind. */
  forkRequested = false;
  forkResult = 0;
  /** Deadline (performance.now()) of a poll_oneoff in progress, kept across rewinds. */
  pollDeadline: number | undefined;
  /** Wait status once a zombie (exit code << 8, or the signal number). */
  status = 0;
  /** Signal dispositions: 0 default, 1 ignore, 2 handler. */
  readonly sigDisp = new Uint8Array(65);
  readonly sigPending: number[] = [];
  /** fd numbers marked close-on-exec. */
  readonly cloexec = new Set<number>();
  private area = 0;

  constructor(
    readonly kernel: ProcessKernel,
    readonly pid: number,
    public parent: Process | null,
    readonly args: readonly string[],
    readonly env: readonly string[],
    /** The fd table: index = fd number. */
    readonly fds: (Handle | undefined)[],
  ) {}

  get ppid(): number {
    return this.parent && this.parent.state !== "zombie" ? this.parent.pid : 1;
  }

  attach(slot: ProcessSlot): void {
    this.slot = slot;
    slot.proc = this;
    this.ex = slot.exports;
    this.area = this.ex.sandflow_asyncify_area.value as number;
  }

  memoryBytes(): number {
    return this.state === "zombie" ? 0 : this.ex.memory.buffer.byteLength;
  }

  view(): DataView {
    return (this.slot as ProcessSlot).view();
  }

  bytes(): Uint8Array {
    return (this.slot as ProcessSlot).bytes();
  }

  /** Starts unwinding the wasm stack from inside a host import; the import then returns a dummy value. */
  unwind(wait: WaitCondition): void {
    const dv = this.view();
    dv.setUint32(this.area, this.area + 8, true);
    dv.setUint32(this.area + 4, this.area + 8 + ASYNCIFY_BYTES, true);
    this.ex.asyncify_start_unwind(this.area);
    this.unwinding = true;
    this.wait = wait;
    this.state = "blocked";
  }

  /** At the top of an unwinding host import: true when this call is the rewind of a blocked one. */
  resumed(): boolean {
    if (!this.rewinding) return false;
    this.ex.asyncify_stop_rewind();
    this.rewinding = false;
    return true;
  }

  /** Enters the wasm code: a first start, or a rewind into the call that unwound. */
  enter(): void {
    this.state = "running";
    this.wait = null;
    if (this.rewinding) this.ex.asyncify_start_rewind(this.area);
    this.ex._start();
  }

  /** After `_start` returned because of an unwind. */
  settleUnwind(): void {
    const slot = this.slot as ProcessSlot;
    slot.asyncifyEnd = Math.max(slot.asyncifyEnd, this.view().getUint32(this.area, true));
    this.ex.asyncify_stop_unwind();
    this.unwinding = false;
    this.rewinding = true;
  }

  /** Puts `h` at fd `fd` (closing what was there); the slot starts without close-on-exec. */
  setFd(fd: number, h: Handle | undefined): void {
    const fds = this.fds;
    // no holes: stores into holes are slow once Array.prototype is frozen (hardened workers)
    while (fds.length < fd) fds.push(undefined);
    const old = fds[fd];
    fds[fd] = h;
    this.cloexec.delete(fd);
    old?.release();
  }

  /** exec: closes the close-on-exec fds. */
  closeOnExec(): void {
    for (const fd of this.cloexec) {
      this.fds[fd]?.release();
      this.fds[fd] = undefined;
    }
    this.cloexec.clear();
  }

  /** Lowest free fd number at or above `min`, or -1. */
  freeFd(min = 0): number {
    const fds = this.fds;
    for (let i = min; i < MAX_FDS; i++) if (!fds[i]) return i;
    return -1;
  }

  /** A forked child: same args, env, open files (shared), signal dispositions, cloexec fds. */
  child(pid: number): Process {
    const c = new Process(this.kernel, pid, this, this.args, this.env, retainAll(this.fds));
    c.name = this.name;
    c.sigDisp.set(this.sigDisp);
    for (const fd of this.cloexec) c.cloexec.add(fd);
    return c;
  }

  /** After attach: takes the parent's memory and stack pointer, set to rewind as fork() = 0. */
  copyMemoryOf(parent: Process): void {
    copyMemory(this.slot as ProcessSlot, parent.slot as ProcessSlot);
    this.rewinding = true;
    this.forkResult = 0;
  }

  /** Drops the instance so its memory can be collected. */
  dispose(): void {
    if (this.slot?.proc === this) this.slot.proc = undefined;
    this.slot = undefined;
    this.ex = undefined as unknown as BusyboxExports;
  }

  closeAll(): void {
    const fds = this.fds;
    for (let i = 0; i < fds.length; i++) {
      fds[i]?.release();
      fds[i] = undefined;
    }
  }
}
