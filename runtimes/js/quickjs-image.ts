/**
 * The memory image of a QuickJS module's linear memory, taken once a runtime and a context
 * are ready for a step, and put back after every step: a JavaScript step starts from that
 * state exactly, and nothing a step wrote stays in memory after it (the same technique as
 * the shell's busybox image and Python's snapshot).
 *
 * Emscripten lays the memory out as static data, then the stack (5 MiB, growing down from
 * its top, where the heap starts), then the heap up to the `sbrk` pointer. The image keeps
 * the two parts that are not zero: the data below the unused stack, and the used stack top
 * with the heap. A reset copies those back and zeroes what a step can have written besides:
 * static variables just past the data, the stack below the image's deepest frame, and the
 * heap past the image up to the step's `sbrk` (Emscripten's malloc never gives memory back,
 * so `sbrk` after the step bounds all the heap it touched).
 */

/** What this file uses of the Emscripten module (quickjs-emscripten keeps it private). */
export interface EmscriptenHeap {
  readonly HEAPU8: Uint8Array;
  _malloc(bytes: number): number;
  _free(pointer: number): void;
}

/** Zero bytes past the last non-zero byte of the static data that a step may still write (static variables). */
const STATIC_SLACK = 64 * 1024;
/**
 * Stack below the image's deepest frame a step may write: QuickJS stops JavaScript
 * recursion at 128 KiB of stack (js-runtime.ts sets that limit); the rest covers the C
 * frames under its checks.
 */
const STACK_WINDOW = 192 * 1024;
/**
 * Bytes past each zeroed range checked to be still zero: deeper use makes the reset zero the
 * whole gap. Small, since the check is a JavaScript loop (zeroing is native and far faster).
 */
const PROBE = 1024;
/** The smallest run of zero bytes taken for the unused stack. */
const MIN_GAP = 1024 * 1024;
const PAGE = 4096;

function isZero(mem: Uint8Array, from: number, to: number): boolean {
  const words = new Int32Array(mem.buffer, from, (to - from) >> 2);
  for (let i = 0; i < words.length; i++) if (words[i] !== 0) return false;
  return true;
}

/** The first and last non-zero page boundaries around the longest zero run: [gapStart, gapEnd). */
function findGap(mem: Uint8Array, end: number): { gapStart: number; gapEnd: number } {
  let best = { gapStart: 0, gapEnd: 0 };
  let runStart = -1;
  for (let page = 0; page < end; page += PAGE) {
    const zero = isZero(mem, page, Math.min(page + PAGE, end));
    if (zero && runStart < 0) runStart = page;
    if ((!zero || page + PAGE >= end) && runStart >= 0) {
      const runEnd = zero ? end : page;
      if (runEnd - runStart > best.gapEnd - best.gapStart) best = { gapStart: runStart, gapEnd: runEnd };
      runStart = -1;
    }
  }
  return best;
}

function lastNonZeroEnd(mem: Uint8Array, from: number): number {
  const words = new Int32Array(mem.buffer, 0, mem.byteLength >> 2);
  for (let i = words.length - 1; i >= from >> 2; i--) if (words[i] !== 0) return (i + 1) << 2;
  return from;
}

/**
 * The address of Emscripten's `sbrk` pointer: the word of the static data that moves up by
 * whole 4 KiB pages, past the end of a large malloc, when that malloc takes memory from the
 * system (the allocator's own `top` moves by the allocation's odd size instead). Undefined
 * when not exactly one does.
 */
function findSbrk(heap: EmscriptenHeap, dataEnd: number, heapStart: number): number | undefined {
  const before = new Int32Array(heap.HEAPU8.buffer, 0, dataEnd >> 2).slice();
  const size = 1024 * 1024 + 12345;
  const pointer = heap._malloc(size);
  if (pointer === 0) return undefined;
  const after = new Int32Array(heap.HEAPU8.buffer, 0, dataEnd >> 2);
  const found: number[] = [];
  for (let i = 0; i < before.length; i++) {
    const was = (before[i] as number) >>> 0;
    const now = (after[i] as number) >>> 0;
    const moved = now - was;
    if (was >= heapStart && moved > 0 && moved % PAGE === 0 && now >= pointer + size) found.push(i << 2);
  }
  heap._free(pointer);
  return found.length === 1 ? found[0] : undefined;
}

/** The image of one QuickJS module's memory, and its reset. */
export class QuickJsImage {
  readonly #heap: EmscriptenHeap;
  readonly #low: Uint8Array;
  readonly #high: Uint8Array;
  readonly #gapStart: number;
  readonly #gapEnd: number;
  readonly #highEnd: number;
  readonly #sbrkAddress: number;
  readonly #sbrk: number;

  /** Takes the image of `heap` as it is now. Throws when its layout is not the one described above. */
  constructor(heap: EmscriptenHeap) {
    this.#heap = heap;
    const mem = heap.HEAPU8;
    this.#highEnd = lastNonZeroEnd(mem, 0);
    const { gapStart, gapEnd } = findGap(mem, this.#highEnd);
    if (gapEnd - gapStart < MIN_GAP || gapEnd - STACK_WINDOW - PROBE < gapStart + STATIC_SLACK + PROBE)
      throw new Error(
        `sandflow: QuickJS's memory has no unused stack where expected (${gapStart}-${gapEnd})`,
      );
    this.#gapStart = gapStart;
    this.#gapEnd = gapEnd;
    this.#low = mem.slice(0, gapStart);
    this.#high = mem.slice(gapEnd, this.#highEnd);
    const sbrkAddress = findSbrk(heap, gapStart, gapEnd);
    if (sbrkAddress === undefined)
      throw new Error("sandflow: cannot find the sbrk pointer in QuickJS's memory");
    this.#sbrkAddress = sbrkAddress;
    this.#sbrk = new Int32Array(this.#low.buffer, sbrkAddress, 1)[0] as number;
    // The probe allocation left the heap and sbrk moved: the whole gap and heap go back.
    this.#restore(true);
  }

  /** Bytes the image holds. */
  get bytes(): number {
    return this.#low.byteLength + this.#high.byteLength;
  }

  /** Puts the memory back as it was when the image was taken. */
  restore(): void {
    this.#restore(false);
  }

  #restore(whole: boolean): void {
    const mem = this.#heap.HEAPU8;
    const sbrk = new Int32Array(mem.buffer, this.#sbrkAddress, 1)[0] as number;
    const staticEnd = this.#gapStart + STATIC_SLACK;
    const stackFloor = this.#gapEnd - STACK_WINDOW;
    // A step that wrote past the ranges reset below (deeper stack, more static data) has
    // the whole unused stack zeroed instead.
    const deep =
      whole || !isZero(mem, staticEnd, staticEnd + PROBE) || !isZero(mem, stackFloor - PROBE, stackFloor);
    mem.set(this.#low, 0);
    if (deep) mem.fill(0, this.#gapStart, this.#gapEnd);
    else {
      mem.fill(0, this.#gapStart, staticEnd);
      mem.fill(0, stackFloor, this.#gapEnd);
    }
    mem.set(this.#high, this.#gapEnd);
    mem.fill(0, this.#highEnd, Math.min(mem.byteLength, Math.max(sbrk >>> 0, this.#sbrk >>> 0)));
  }
}
