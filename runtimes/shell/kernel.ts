/**
 * The process table and cooperative scheduler of one shell step. Processes run one
 * at a time; a process gives the CPU up when a host import unwinds it with Asyncify
 * (a pipe that is full or empty, a wait, a sleep, a fork, or a used-up time slice).
 * Idle time waits with Atomics.wait in slices; the event loop gets a turn regularly.
 */

import { removeAt } from "./arrays.js";
import type { Handle } from "./handle.js";
import { InstancePool } from "./instance-pool.js";
import {
  abort,
  DEFAULT_IGNORED,
  DRAIN_MS,
  EVENT_LOOP_EVERY_MS,
  isShared,
  type KernelOptions,
  SIGCHLD,
  SIGKILL,
  SIGSEGV,
  SLICE_MS,
  sharedCell,
} from "./kernel-api.js";
import { ProcExit, Process, type ProcessKernel, ProcKilled, type WaitCondition } from "./process.js";
import { bindImports } from "./slot-imports.js";
import { Wasm } from "./wasm-api.js";

const yieldMacrotask = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

export class Kernel implements ProcessKernel {
  private readonly procs = new Map<number, Process>();
  private readonly live: Process[] = [];
  private nextPid = 1;
  private rr = 0;
  private hint: Process | null = null;
  private readonly boosted: Process[] = [];
  // A double from the start: a field that holds a small integer first and a double later
  // makes V8 deprecate the kernel's map (and deoptimize the code that saw the old one).
  private sliceEnd = Number.NEGATIVE_INFINITY;
  current: Process | null = null;
  forks = 0;
  /** Milliseconds spent cloning processes (instantiate + copy memory). */
  forkMs = 0;
  private ownCell: Int32Array | undefined;
  /** `pool`: instances to reuse (default: a pool of this kernel's own). */
  constructor(
    readonly opts: KernelOptions,
    private readonly pool = new InstancePool(opts.module, bindImports),
  ) {}

  /** Creates the first process (pid 1). */
  spawn(args: string[], env: string[], fds: (Handle | undefined)[]): Process {
    const p = new Process(this, this.nextPid++, null, args, env, fds);
    p.attach(this.pool.forSpawn());
    this.chargeMemory(p, p.memoryBytes(), 0);
    this.procs.set(p.pid, p);
    this.live.push(p);
    return p;
  }

  /**
   * Creates the first process (pid 1) from a parked one (a step template): a copy of its
   * memory and signal state with `fds` as its fd table, rewound into the call it parked in.
   */
  spawnFrom(parked: Process, fds: (Handle | undefined)[]): Process {
    const p = new Process(this, this.nextPid++, null, parked.args, parked.env, fds);
    const bytes = parked.memoryBytes();
    this.chargeMemory(p, bytes, 0);
    p.attach(this.pool.forFork(bytes));
    p.copyMemoryOf(parked);
    p.name = parked.name;
    p.sigDisp.set(parked.sigDisp);
    for (const fd of parked.cloexec) p.cloexec.add(fd);
    this.procs.set(p.pid, p);
    this.live.push(p);
    return p;
  }

  /** Runs `p` alone until it waits for something (true) or ends (false): how a step template is made. */
  runUntilBlocked(p: Process): boolean {
    while (this.ready(p)) {
      this.checkInterrupt();
      this.slice(p);
    }
    return p.state === "blocked" && !p.forkRequested && this.live.length === 1;
  }

  /**
   * Runs until `root` exits; returns its wait status. Processes left then may run on for up
   * to DRAIN_MS while they can (a `tee` behind `exec > >(tee log)` finishes its output);
   * the ones that only wait for time are killed first, whatever is left at the end too.
   */
  async run(root: Process, beforeRootExits?: () => void): Promise<number> {
    let lastYield = performance.now();
    let drainEnd = Number.POSITIVE_INFINITY;
    try {
      for (;;) {
        this.checkInterrupt();
        if (root.state === "zombie") {
          drainEnd = Math.min(drainEnd, performance.now() + DRAIN_MS);
          if (this.live.length === 0 || performance.now() > drainEnd) break;
        }
        const p = this.pick();
        if (p === root) beforeRootExits?.();
        if (p) this.slice(p);
        else if (root.state === "zombie") {
          // nothing can run: stop the processes that only wait for time (a background
          // sleep holding a pipe open), so readers of their pipes see EOF and finish
          // (with the ancestors waiting for them, so no shell reports them as killed)
          const sleepers = this.live.filter((q) => q.wait?.deadline !== undefined);
          if (sleepers.length === 0) break;
          for (const q of sleepers) {
            for (let a: Process | null = q; a && a.state !== "zombie"; a = a.parent) this.exit(a, SIGKILL);
          }
        } else await this.idle();
        if (performance.now() - lastYield > EVENT_LOOP_EVERY_MS) {
          await yieldMacrotask();
          lastYield = performance.now();
        }
      }
    } finally {
      for (const p of [...this.live]) this.exit(p, SIGKILL);
    }
    return root.status;
  }

  private ready(p: Process): boolean {
    if (p.state === "running") return true;
    if (p.state !== "blocked" || !p.wait) return false;
    return p.wait.ready() || (p.wait.deadline !== undefined && performance.now() >= p.wait.deadline);
  }

  /** Lets `p` (woken by a pipe) run at the next scheduling point, as another CPU would. */
  boost(p: Process): void {
    if (p.state === "blocked" && !this.boosted.includes(p)) this.boosted.push(p);
  }

  private pick(): Process | null {
    while (this.boosted.length > 0) {
      const b = this.boosted.shift() as Process;
      if (this.ready(b)) return b;
    }
    const h = this.hint;
    this.hint = null;
    if (h && this.ready(h)) return h;
    const n = this.live.length;
    for (let i = 0; i < n; i++) {
      const idx = (this.rr + i) % n;
      const p = this.live[idx] as Process;
      if (this.ready(p)) {
        this.rr = idx + 1;
        return p;
      }
    }
    return null;
  }

  private async idle(): Promise<void> {
    let deadline = Number.POSITIVE_INFINITY;
    for (const p of this.live)
      if (p.wait?.deadline !== undefined) deadline = Math.min(deadline, p.wait.deadline);
    if (deadline === Number.POSITIVE_INFINITY) throw abort.deadlock();
    let slept = 0;
    for (;;) {
      this.checkInterrupt();
      const left = deadline - performance.now();
      if (left <= 0) return;
      const ms = Math.min(left, 10);
      // the shared interrupt cell wakes us early when notified; if it is already set for
      // some other reason, waiting on it would return at once, so wait on a private cell
      let cell = this.opts.waitCell;
      if (Atomics.load(cell, 0) !== 0) {
        this.ownCell ??= sharedCell();
        cell = this.ownCell;
      }
      if (isShared(cell)) Atomics.wait(cell, 0, 0, ms);
      else await new Promise((resolve) => setTimeout(resolve, ms)); // no SharedArrayBuffer here
      slept += ms;
      if (slept >= EVENT_LOOP_EVERY_MS) return; // let the loop yield to the event loop
    }
  }

  private slice(p: Process): void {
    this.current = p;
    this.sliceEnd = performance.now() + SLICE_MS;
    try {
      p.enter();
    } catch (e) {
      this.current = null;
      if (e instanceof ProcExit) this.exit(p, (e.code & 0xff) << 8);
      else if (e instanceof ProcKilled) this.exit(p, e.signal);
      else if (e instanceof Wasm.RuntimeError || e instanceof RangeError) {
        this.opts.diagnostic(`sandflow: process ${p.pid} (${p.name}) crashed: ${e.message}\n`);
        this.exit(p, SIGSEGV, false);
      } else throw e;
      return;
    }
    this.current = null;
    if (!p.unwinding) {
      this.exit(p, 0);
      return;
    }
    p.settleUnwind();
    if (p.forkRequested) {
      p.forkRequested = false;
      this.fork(p);
    }
  }

  /** Inside a host import: unwind `p` until `wait` holds. */
  block(p: Process, wait: WaitCondition): void {
    p.unwind(wait);
  }

  /**
   * Inside a host import, before doing the work: true when `p`'s time slice is used up and it
   * gave the CPU up (to other processes, and to the event loop, which may set the interrupt).
   */
  preempt(p: Process): boolean {
    if (performance.now() < this.sliceEnd) return false;
    p.unwind({ ready: () => true });
    return true;
  }

  checkInterrupt(): void {
    if (this.opts.interrupted()) throw abort.interrupted();
  }

  private fork(p: Process): void {
    const t0 = performance.now();
    const alive = this.live.length;
    if (alive + 1 > this.opts.processes) throw abort.processes(this.opts.processes);
    const bytes = p.memoryBytes();
    this.chargeMemory(p, bytes, 0);
    const c = p.child(this.nextPid++);
    c.attach(this.pool.forFork(bytes));
    c.copyMemoryOf(p);
    p.forkResult = c.pid;
    p.children.add(c);
    this.procs.set(c.pid, c);
    this.live.push(c);
    this.hint = c;
    this.forks++;
    this.forkMs += performance.now() - t0;
  }

  /** Fails the step when `p` growing to `newBytes` (or a fork copying it) passes the memory limit. */
  chargeMemory(p: Process, newBytes: number, ofP = p.memoryBytes()): void {
    let total = newBytes - ofP;
    for (const q of this.live) total += q.memoryBytes();
    if (total > this.opts.memoryBytes) throw abort.memory(this.opts.memoryBytes);
  }

  /** Ends `p`; `clean` is false after a crash (its instance is not reused). */
  exit(p: Process, status: number, clean = true): void {
    if (p.state === "zombie") return;
    p.closeAll();
    p.state = "zombie";
    p.status = status;
    p.wait = null;
    if (p.slot) this.pool.give(p.slot, clean && p !== this.current);
    p.dispose();
    const i = this.live.indexOf(p);
    if (i >= 0) removeAt(this.live, i);
    for (const c of p.children) {
      c.parent = null;
      if (c.state === "zombie") this.procs.delete(c.pid);
    }
    p.children.clear();
    const parent = p.parent;
    if (parent && parent.state !== "zombie") this.signal(parent, SIGCHLD);
    else this.procs.delete(p.pid);
  }

  /** Reaps a zombie child. */
  reap(parent: Process, child: Process): void {
    parent.children.delete(child);
    this.procs.delete(child.pid);
  }

  find(pid: number): Process | undefined {
    return this.procs.get(pid);
  }

  /** All live processes in the subtree of `p` (itself included). */
  subtree(p: Process): Process[] {
    const out = [p];
    for (let i = 0; i < out.length; i++) for (const c of (out[i] as Process).children) out.push(c);
    return out.filter((q) => q.state !== "zombie");
  }

  /** Sends `sig` to `target`: run its handler later, ignore it, or end it. */
  signal(target: Process, sig: number): void {
    if (target.state === "zombie" || sig === 0) return;
    const disp = sig === SIGKILL ? 0 : (target.sigDisp[sig] ?? 0);
    if (disp === 1) return;
    if (disp === 2) {
      if (!target.sigPending.includes(sig)) target.sigPending.push(sig);
      return;
    }
    if (sig !== SIGKILL && DEFAULT_IGNORED.has(sig)) return;
    if (target === this.current) throw new ProcKilled(sig);
    this.exit(target, sig);
  }

  /** Bytes of wasm memory all live processes hold. */
  memoryInUse(): number {
    let n = 0;
    for (const q of this.live) n += q.memoryBytes();
    return n;
  }

  liveProcesses(): readonly Process[] {
    return this.live;
  }
}
