/**
 * A copy of a wasm linear memory kept in little room: runs of pages that are zero, or equal
 * to the same pages of a base image the worker holds anyway (the Pyodide snapshot's memory,
 * shared by the workers of a process), are kept as their bounds only; the rest is copied.
 * A loaded interpreter's 30 MB are about 45 % zero pages and 80 % the snapshot's pages.
 */

const PAGE = 4096;

const Kind = { Zero: 0, Base: 1, Own: 2 } as const;
type Kind = (typeof Kind)[keyof typeof Kind];

interface Run {
  readonly kind: Kind;
  readonly from: number;
  readonly to: number;
  /** The bytes of an Own run. */
  readonly bytes?: Uint8Array;
}

function pageKind(mem: Uint32Array, base: Uint32Array | undefined, at: number, end: number): Kind {
  let zero = true;
  let same = base !== undefined;
  for (let i = at; i < end && (zero || same); i++) {
    const v = mem[i] as number;
    if (v !== 0) zero = false;
    if (same && v !== (base as Uint32Array)[i]) same = false;
  }
  return zero ? Kind.Zero : same ? Kind.Base : Kind.Own;
}

/**
 * The pages of one memory at one moment. Taken as a plain copy (a few ms); the copy is
 * scanned into runs later, by {@link compact} (about 100 ms of JavaScript on a cold worker,
 * which a new interpreter's first step need not wait for).
 */
export class MemoryPages {
  #runs: Run[] | undefined;
  #copy: Uint8Array | undefined;
  readonly #base: Uint8Array | undefined;
  #own = 0;
  /** Length of the memory when taken. */
  readonly length: number;

  /**
   * Takes `memory` (a whole number of wasm pages). `base`, if given, must not change while
   * this copy is used.
   */
  constructor(memory: Uint8Array, base?: Uint8Array) {
    this.length = memory.length;
    this.#base = base && base.length >= PAGE && base.byteOffset % 4 === 0 ? base : undefined;
    this.#copy = memory.slice();
  }

  /** Bytes copied (the room the copy takes). */
  get ownBytes(): number {
    this.compact();
    return this.#own;
  }

  /** Keeps only the pages that are neither zero nor the base's. Idempotent. */
  compact(): void {
    const memory = this.#copy;
    if (!memory) return;
    const runs: Run[] = [];
    const usable = this.#base;
    const mem32 = new Uint32Array(memory.buffer, memory.byteOffset, memory.length >>> 2);
    const base32 = usable
      ? new Uint32Array(usable.buffer, usable.byteOffset, Math.min(usable.length, memory.length) >>> 2)
      : undefined;
    const baseEnd = base32 ? base32.length * 4 : 0;
    let own = 0;
    let start = 0;
    let kind: Kind | undefined;
    const close = (end: number) => {
      if (kind === undefined || end === start) return;
      const bytes = kind === Kind.Own ? memory.slice(start, end) : undefined;
      if (bytes) own += bytes.length;
      runs.push({ kind, from: start, to: end, ...(bytes ? { bytes } : {}) });
    };
    for (let at = 0; at < memory.length; at += PAGE) {
      const end = Math.min(at + PAGE, memory.length);
      const k = pageKind(mem32, end <= baseEnd ? base32 : undefined, at >>> 2, end >>> 2);
      if (k !== kind) {
        close(at);
        start = at;
        kind = k;
      }
    }
    close(memory.length);
    this.#runs = runs;
    this.#own = own;
    this.#copy = undefined;
  }

  /** Writes the copy into `memory` and zeroes what lies past it. */
  restoreInto(memory: Uint8Array): void {
    if (this.#copy) memory.set(this.#copy);
    for (const run of this.#runs ?? []) {
      if (run.kind === Kind.Zero) memory.fill(0, run.from, run.to);
      else if (run.kind === Kind.Base)
        memory.set((this.#base as Uint8Array).subarray(run.from, run.to), run.from);
      else memory.set(run.bytes as Uint8Array, run.from);
    }
    memory.fill(0, this.length);
  }
}
