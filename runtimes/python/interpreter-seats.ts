/**
 * Concurrent runs on one loaded Python interpreter, one run at a time. Loading Pyodide
 * costs 200 to 500 ms of a worker's time; when a worker holds the interpreters of several
 * runs at once (concurrent runs whose steps alternate on it), each run gets a seat on an
 * interpreter loaded before instead. The seat whose run's step comes up is made the
 * interpreter's state: the state of the run that used it last is parked (a copy of its
 * memory and hiwire table, 5 to 10 ms) and the new run's state put back, or the image the
 * interpreter had when loaded (a new run: as clean as a fresh load, random seeded anew).
 * So a run keeps its interpreter's state from step to step as with an interpreter of its
 * own, and never sees another run's.
 *
 * A run whose state cannot be parked (it wrote outside the workspace, left a descriptor
 * open) or restored loses it: its next step gets a clean interpreter, on a new load when
 * this one cannot be made clean. A seat whose run was switched out for another gets a load
 * of its own for its next run (runs keep coming at once: the worker ends up with an
 * interpreter per concurrent run, as without seats, but only from the second round on);
 * and once the switches on an interpreter took longer than its load, new seats go to a
 * new load.
 */
import type {
  LanguageRuntime,
  LanguageRuntimeFactory,
  StepInvocation,
  StepOutcome,
} from "../worker/language-runtime.js";
import type { Checkpoint } from "./interpreter-image.js";

/** Seats (runs) one loaded interpreter serves at most. */
const SEATS_PER_INTERPRETER = 4;

/** A run's state kept aside while other runs use the interpreter (see {@link Loaded.park}). */
export interface ParkedRun {
  readonly checkpoint: Checkpoint;
  readonly compiled: ReadonlyMap<string, number>;
  readonly lastEnv: string;
}

/** What a seat needs of a loaded interpreter (python-runtime.ts's PythonRuntime). */
export interface Loaded {
  run(invocation: StepInvocation): Promise<StepOutcome>;
  /** Back to the interpreter's memory image; false when it cannot be made clean. */
  reset(): boolean;
  /** The run's state, to put back with {@link Loaded.unpark}; undefined when it cannot be kept. */
  park(reuse?: Uint8Array): ParkedRun | undefined;
  unpark(parked: ParkedRun): boolean;
  memoryBytes(): number;
  dispose(): void;
}

interface Host {
  readonly interpreter: Loaded;
  readonly memoryBytes: number;
  readonly seats: Set<Seat>;
  active: Seat | undefined;
  /** Cannot be made clean any more: seats move to another load. */
  broken: boolean;
  readonly loadMs: number;
  switchMs: number;
  /** A buffer of a run put back, to park the next one in. */
  spare: Uint8Array | undefined;
}

class Seat implements LanguageRuntime {
  readonly #hosts: Hosts;
  readonly #memoryBytes: number;
  #host: Host | undefined;
  /** The run's parked state; undefined: the image's (a new run). */
  #parked: ParkedRun | undefined;
  /** The seat's run was switched out for another run's (during its last run, or this one). */
  #switched = false;
  /** No step of the seat's run has run yet. */
  #newRun = true;

  constructor(hosts: Hosts, host: Host, memoryBytes: number) {
    this.#hosts = hosts;
    this.#host = host;
    this.#memoryBytes = memoryBytes;
  }

  async run(invocation: StepInvocation): Promise<StepOutcome> {
    const busy = this.#host;
    if (this.#newRun && busy && busy.active !== this && !this.#parked && !busy.broken) {
      // A new run (no state to move) on a seat that was switched in and out during its last
      // run, or on an interpreter whose switches cost more than its load: runs keep coming
      // at once, so a load of its own is cheaper from here on.
      if (this.#switched || busy.switchMs >= busy.loadMs) {
        busy.switchMs = Math.max(0, busy.switchMs - busy.loadMs);
        this.#leave();
      }
    }
    if (this.#newRun) this.#switched = false;
    this.#newRun = false;
    for (let tries = 0; ; tries++) {
      const host = this.#host ?? (await this.#hosts.place(this, this.#memoryBytes));
      this.#host = host;
      if (host.active === this || (!host.broken && this.#switchTo(host))) {
        return host.interpreter.run(invocation);
      }
      host.broken = true;
      this.#leave();
      this.#parked = undefined;
      if (tries > 0) throw new Error("a newly loaded Python interpreter could not be reset to its image");
    }
  }

  /** Makes this seat's run the interpreter's state. */
  #switchTo(host: Host): boolean {
    const t0 = performance.now();
    const out = host.active;
    host.active = undefined;
    if (out) {
      out.#switched = true;
      out.#parked = host.interpreter.park(host.spare);
      if (out.#parked) host.spare = undefined;
    }
    const parked = this.#parked;
    const ok = parked ? host.interpreter.unpark(parked) : host.interpreter.reset();
    if (ok) {
      host.active = this;
      this.#parked = undefined;
      if (parked) host.spare = parked.checkpoint.memory;
    }
    host.switchMs += performance.now() - t0;
    return ok;
  }

  reset(): boolean {
    this.#parked = undefined;
    this.#newRun = true;
    const host = this.#host;
    // No run parked any more: the buffer kept to park the next one in goes too.
    if (host && ![...host.seats].some((s) => s.#parked)) host.spare = undefined;
    if (!host || host.active !== this) return true;
    host.active = undefined;
    if (host.interpreter.reset()) {
      host.active = this;
      return true;
    }
    host.broken = true;
    return false;
  }

  #leave(): void {
    const host = this.#host;
    this.#host = undefined;
    if (!host) return;
    host.seats.delete(this);
    if (host.active === this) host.active = undefined;
    if (host.seats.size === 0) this.#hosts.drop(host);
  }

  memoryBytes(): number {
    return this.#host?.interpreter.memoryBytes() ?? 0;
  }

  dispose(): void {
    this.#parked = undefined;
    this.#leave();
  }
}

class Hosts {
  readonly #load: (memoryBytes: number) => Promise<Loaded>;
  readonly #hosts: Host[] = [];

  constructor(load: (memoryBytes: number) => Promise<Loaded>) {
    this.#load = load;
  }

  /** A seat for a new run: on a loaded interpreter with room, else on a new load. */
  async seat(memoryBytes: number): Promise<Seat> {
    const host = this.#hosts.find(
      (h) =>
        !h.broken &&
        h.memoryBytes === memoryBytes &&
        h.seats.size < SEATS_PER_INTERPRETER &&
        h.switchMs < h.loadMs,
    );
    if (host) {
      const seat = new Seat(this, host, memoryBytes);
      host.seats.add(seat);
      return seat;
    }
    const loaded = await this.#loadHost(memoryBytes);
    const seat = new Seat(this, loaded, memoryBytes);
    loaded.seats.add(seat);
    loaded.active = seat;
    return seat;
  }

  /** A new load for a seat that leaves its interpreter (its run's state, if any, is lost). */
  async place(seat: Seat, memoryBytes: number): Promise<Host> {
    const host = await this.#loadHost(memoryBytes);
    host.seats.add(seat);
    host.active = seat; // a new load is in its image's state
    return host;
  }

  async #loadHost(memoryBytes: number): Promise<Host> {
    const t0 = performance.now();
    const interpreter = await this.#load(memoryBytes);
    const host: Host = {
      interpreter,
      memoryBytes,
      seats: new Set(),
      active: undefined,
      broken: false,
      loadMs: performance.now() - t0,
      switchMs: 0,
      spare: undefined,
    };
    this.#hosts.push(host);
    return host;
  }

  drop(host: Host): void {
    const at = this.#hosts.indexOf(host);
    if (at >= 0) this.#hosts.splice(at, 1);
    host.spare = undefined;
    try {
      host.interpreter.dispose();
    } catch {
      // A broken interpreter may fail to free itself; it is unreachable from here on.
    }
  }
}

/** The Python factory over `load` (one interpreter loaded with its memory capped). */
export function seatedFactory(load: (memoryBytes: number) => Promise<Loaded>): LanguageRuntimeFactory {
  const hosts = new Hosts(load);
  return {
    language: "python",
    memoryFixedAtCreate: true,
    create: (options) => hosts.seat(options?.memoryBytes ?? 512 * 1048576),
  };
}
