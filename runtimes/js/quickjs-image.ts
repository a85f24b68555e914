/**
 * The memory image of a QuickJS module's linear memory, taken once a runtime and a context
 * are ready for a step, and put back after every step: a JavaScript step starts from that
 * state exactly, and nothing a step wrote stays in memory after it (the same technique as
 * the shell's busybox image and Python's snapshot).
 *
 * Emscripten lays the memory out as static data, then the stack (5 MiB, growing down from
 * its top, where the heap starts), then the heap up to the `sbrk` pointer. The image keeps
 * the static data, and the stack's top with the heap; a reset copies those back and zeroes
 * what a step can have written besides: static variables just past the data, and the heap
 * past the image up to the step's `sbrk` (Emscripten's malloc never gives memory back, so
 * `sbrk` after the step bounds all the heap it touched). The stack's top comes from QuickJS
 * (js-runtime.ts): the image reads no page of the unused stack or of the memory past `sbrk`,
 * since reading a never-touched page of wasm memory makes it resident.
 */

import { isZero } from "../shell/arrays.js";

/** What this file uses of the Emscripten module (quickjs-emscripten keeps it private). */
export interface EmscriptenHeap {
  readonly HEAPU8: Uint8Array;
  _malloc(bytes: number): number;
  _free(pointer: number): void;
}

/** Zero bytes past the last non-zero byte of the static data that a step may still write (static variables). */
const STATIC_SLACK = 64 * 1024;
/**
 * Stack below the top a step may write: QuickJS stops JavaScript recursion at 128 KiB of
 * stack (js-runtime.ts sets that limit); the rest covers the C frames under its checks.
 */
const STACK_WINDOW = 192 * 1024;
/**
 * Bytes past each reset range checked to be still zero: deeper use makes the reset zero the
 * whole unused stack. Small, since the check is a JavaScript loop (zeroing is native).
 */
const PROBE = 1024;
/** A run of zero pages this long ends the static data (QuickJS's has no such hole). */
const DATA_END_RUN = 64;
const PAGE = 4096;

/**
 * The end of the static data: the start of the first run of {@link DATA_END_RUN} zero pages.
 * Only the pages up to there are read: a never-touched page of wasm memory that is read
 * becomes resident, and the 5 MiB stack above is nearly all untouched.
 */
function staticEnd(mem: Uint8Array, limit: number): number {
  let runStart = 0;
  let run = 0;
  for (let page = 0; page + PAGE <= limit; page += PAGE) {
    if (!isZero(mem, page, page + PAGE)) run = 0;
    else if (run++ === 0) runStart = page;
    if (run === DATA_END_RUN) return runStart;
  }
  throw new Error("sandflow: QuickJS's memory has no unused stack above its static data");
}

/** The end of the last non-zero word in [from, to), read downwards (the top of the used heap). */
function usedEnd(mem: Uint8Array, from: number, to: number): number {
  const words = new Int32Array(mem.buffer, from, (to - from) >> 2);
  for (let i = words.length - 1; i >= 0; i--) if (words[i] !== 0) return from + ((i + 1) << 2);
  return from;
}

/**
 * The address of Emscripten's `sbrk` pointer: the word of the static data that moves up by
 * whole 4 KiB pages, past the end of a malloc, when that malloc takes memory from the system
 * (the allocator's own `top` moves by the allocation's odd size instead). Mallocs of growing
 * size are tried until one does; the memory they took stays in the heap's free top.
 */
function findSbrk(heap: EmscriptenHeap, dataEnd: number, heapStart: number): number {
  for (let size = 16 * 1024 + 12345; size < 8 * 1048576; size *= 4) {
    const before = new Int32Array(heap.HEAPU8.buffer, 0, dataEnd >> 2).slice();
    const pointer = heap._malloc(size);
    if (pointer === 0) break;
    const after = new Int32Array(heap.HEAPU8.buffer, 0, dataEnd >> 2);
    const found: number[] = [];
    for (let i = 0; i < before.length; i++) {
      const was = (before[i] as number) >>> 0;
      const now = (after[i] as number) >>> 0;
      const moved = now - was;
      if (was >= heapStart && moved > 0 && moved % PAGE === 0 && now >= pointer + size) found.push(i << 2);
    }
    heap._free(pointer);
    if (found.length === 1) return found[0] as number;
    if (found.length > 1) break;
  }
  throw new Error("sandflow: cannot find the sbrk pointer in QuickJS's memory");
}

/** Where things are in QuickJS's memory. */
export interface QuickJsLayout {
  /** The top of the C stack (where the heap starts), as QuickJS's runtime recorded it. */
  readonly stackTop: number;
}

/** The image of one QuickJS module's memory, and its reset. */
export class QuickJsImage {
  readonly #heap: EmscriptenHeap;
  readonly #low: Uint8Array;
  readonly #high: Uint8Array;
  /** End of the static data as the image has it; [dataEnd, dataEnd + STATIC_SLACK) is zeroed per reset. */
  readonly #dataEnd: number;
  /** Start of the high part: the stack window below the stack top, then the heap. */
  readonly #highStart: number;
  readonly #highEnd: number;
  readonly #sbrkAddress: number;
  readonly #sbrk: number;

  /** Takes the image of `heap` as it is now. Throws when its layout is not the one described above. */
  constructor(heap: EmscriptenHeap, layout: QuickJsLayout) {
    this.#heap = heap;
    const top = layout.stackTop - (layout.stackTop % PAGE) + PAGE;
    this.#highStart = top - PAGE - STACK_WINDOW;
    this.#dataEnd = staticEnd(heap.HEAPU8, this.#highStart);
    if (this.#dataEnd + STATIC_SLACK + PROBE > this.#highStart - PROBE)
      throw new Error(`sandflow: QuickJS's stack is not where expected (top ${layout.stackTop})`);
    this.#sbrkAddress = findSbrk(heap, this.#dataEnd, this.#highStart);
    const mem = heap.HEAPU8;
    this.#sbrk = new Int32Array(mem.buffer, this.#sbrkAddress, 1)[0] as number;
    this.#highEnd = usedEnd(mem, this.#highStart, this.#sbrk - (this.#sbrk % 4));
    this.#low = mem.slice(0, this.#dataEnd);
    this.#high = mem.slice(this.#highStart, this.#highEnd);
  }

  /** Puts the memory back as it was when the image was taken. */
  restore(): void {
    const mem = this.#heap.HEAPU8;
    const sbrk = new Int32Array(mem.buffer, this.#sbrkAddress, 1)[0] as number;
    const slackEnd = this.#dataEnd + STATIC_SLACK;
    mem.set(this.#low, 0);
    // A step that wrote past the ranges reset here (a deeper stack, more static data) has
    // the whole unused stack zeroed instead.
    if (!isZero(mem, slackEnd, slackEnd + PROBE) || !isZero(mem, this.#highStart - PROBE, this.#highStart))
      mem.fill(0, this.#dataEnd, this.#highStart);
    else mem.fill(0, this.#dataEnd, slackEnd);
    mem.set(this.#high, this.#highStart);
    mem.fill(0, this.#highEnd, Math.min(mem.byteLength, Math.max(sbrk >>> 0, this.#sbrk >>> 0)));
  }
}
