/**
 * The linear memory of busybox.wasm instances: where the stack and the Asyncify save area
 * lie, the module's initial image, and the two ways a reused instance's memory is
 * overwritten (nothing of an earlier process may remain):
 * - reset to the initial image, for a step's first process;
 * - copy of another instance's memory, for a fork.
 * Both skip what is known to be zero in source and target: the stack (first in memory,
 * zero in the image) below the lowest stack limit the instance reached (host-interface.mjs
 * makes the module report it), and the Asyncify save area past what unwinds wrote.
 */

import { isZero, view } from "./arrays.js";
import { ASYNCIFY_BYTES, type BusyboxExports } from "./wasm-api.js";

/** What this file reads and writes of an instance (a Slot of instance-pool.ts). */
export interface ImageSlot {
  readonly exports: BusyboxExports;
  readonly layout: MemoryLayout;
  /** Lowest stack address that may be nonzero. */
  stackFloor: number;
  /** End of the Asyncify save data ever written (0: none). */
  asyncifyEnd: number;
  bytes(): Uint8Array;
}

/** Bytes below the stack limit that LLVM may still write (its red zone is 128 bytes). */
const RED_ZONE = 256;
/** How far the stack limit moves down each time the stack grows past it. */
const STACK_STEP = 16384;

/** Where things are in an instance's memory, and the initial image (one per module). */
export class MemoryLayout {
  readonly image: Uint8Array;
  /** The initial stack pointer: the stack is [0, stackTop) when `stackZero`. */
  readonly stackTop: number;
  /** The image is zero below stackTop (wasm-ld --stack-first). */
  readonly stackZero: boolean;
  readonly area: number;
  /** End of the Asyncify save area; `area` when the image is not zero there. */
  readonly areaEnd: number;
  /** The module reports its stack use (the sandflow_stack_limit export). */
  readonly watched: boolean;
  /** The image is zero from areaEnd on (the heap). */
  readonly tailZero: boolean;

  constructor(ex: BusyboxExports) {
    this.image = new Uint8Array(ex.memory.buffer).slice();
    this.stackTop = ex.__stack_pointer.value as number;
    this.stackZero = isZero(this.image, 0, this.stackTop);
    this.area = ex.sandflow_asyncify_area.value as number;
    const end = this.area + 8 + ASYNCIFY_BYTES;
    this.areaEnd = this.area >= this.stackTop && isZero(this.image, this.area, end) ? end : this.area;
    this.watched = ex.sandflow_stack_limit !== undefined;
    this.tailZero = isZero(this.image, this.areaEnd, this.image.length);
  }

  /** The lowest stack address a fresh (or just reset) instance may write before it reports. */
  initialFloor(): number {
    return this.watched && this.stackZero ? Math.max(0, this.stackTop - STACK_STEP - RED_ZONE) : 0;
  }
}

/** Sets the stack limit of a fresh or reset instance (the stack is unused below the top). */
export function startStackWatch(slot: ImageSlot): void {
  const { layout } = slot;
  slot.stackFloor = layout.initialFloor();
  const limit = slot.exports.sandflow_stack_limit;
  if (limit) limit.value = Math.max(0, layout.stackTop - STACK_STEP);
}

/** The bbhost.stack_low import: the stack pointer is going below the limit, to `sp`. */
export function stackLow(slot: ImageSlot, sp: number): void {
  const limit = slot.exports.sandflow_stack_limit;
  if (!limit || sp < 0) return; // sp < 0: a stack overflow wrapped around; it traps next
  const next = Math.max(0, sp - STACK_STEP);
  limit.value = next;
  slot.stackFloor = Math.min(slot.stackFloor, Math.max(0, next - RED_ZONE));
}

/** Puts `slot`'s memory (of the image's size) and stack pointer back to the initial state. */
export function resetMemory(slot: ImageSlot): void {
  const mem = slot.bytes();
  const { image, stackTop, area, areaEnd } = slot.layout;
  let from = 0;
  if (slot.layout.stackZero) {
    mem.fill(0, slot.stackFloor, stackTop);
    from = stackTop;
  }
  mem.set(view(image, from, area), from);
  if (areaEnd > area) mem.fill(0, area, Math.min(areaEnd, Math.max(area, slot.asyncifyEnd)));
  if (slot.layout.tailZero) mem.fill(0, areaEnd);
  else mem.set(view(image, areaEnd), areaEnd);
  slot.asyncifyEnd = 0;
  slot.exports.__stack_pointer.value = stackTop;
  startStackWatch(slot);
}

/** Makes `child`'s memory, stack pointer and stack limit those of `parent` (a fork). */
export function copyMemory(child: ImageSlot, parent: ImageSlot): void {
  const src = parent.bytes();
  const grow = (src.byteLength - child.bytes().byteLength) / 65536;
  if (grow > 0) child.exports.memory.grow(grow);
  const dst = child.bytes();
  const { stackZero, area, areaEnd } = child.layout;
  const from = stackZero ? Math.min(child.stackFloor, parent.stackFloor) : 0;
  if (areaEnd > area) {
    const used = Math.max(area, child.asyncifyEnd, parent.asyncifyEnd);
    dst.set(view(src, from, used), from);
    dst.set(view(src, areaEnd), areaEnd);
  } else {
    dst.set(view(src, from), from);
  }
  child.exports.__stack_pointer.value = parent.exports.__stack_pointer.value;
  const limit = child.exports.sandflow_stack_limit;
  if (limit && parent.exports.sandflow_stack_limit) limit.value = parent.exports.sandflow_stack_limit.value;
  child.stackFloor = parent.stackFloor;
  child.asyncifyEnd = parent.asyncifyEnd;
}
