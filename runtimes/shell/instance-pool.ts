/**
 * Reusable instances of the busybox module. Instantiating costs ~0.35 ms (most of a fork),
 * so the instance of an exited process is kept and handed to the next fork or spawn. Its
 * imports are bound once to the instance's slot and act for the process owning the slot
 * now, and its whole linear memory is overwritten before reuse (with the parent's memory
 * for a fork, with the module's initial image for a new first process), so nothing of the
 * previous process remains.
 */

import { removeAt } from "./arrays.js";
import { MemoryLayout, resetMemory, startStackWatch } from "./memory-image.js";
import type { Process, ProcessSlot } from "./process.js";
import {
  type BusyboxExports,
  Wasm,
  type WasmImports,
  type WasmInstance,
  type WasmModule,
} from "./wasm-api.js";

/** Makes the imports of a new instance; they act for `slot.proc`. */
export type ImportBinder = (slot: ProcessSlot, module: WasmModule) => WasmImports;

/** Instances whose memory grew past this are not kept. */
const MAX_KEPT_BYTES = 4 << 20;

/** One instance of the module and the process running in it now. */
export class Slot implements ProcessSlot {
  /** The process using this instance now. */
  proc: Process | undefined;
  /** End of the Asyncify save data ever written in this instance's memory (0: none). */
  asyncifyEnd = 0;
  /** Lowest stack address that may be nonzero (the stack below it is untouched). */
  stackFloor = 0;
  readonly instance: WasmInstance;
  readonly exports: BusyboxExports;
  readonly layout: MemoryLayout;
  private u8: Uint8Array;
  private dv: DataView;
  constructor(module: WasmModule, bind: ImportBinder) {
    this.instance = new Wasm.Instance(module, bind(this, module));
    this.exports = this.instance.exports as unknown as BusyboxExports;
    this.u8 = new Uint8Array(this.exports.memory.buffer);
    this.dv = new DataView(this.exports.memory.buffer);
    let layout = layouts.get(module);
    if (!layout) {
      layout = new MemoryLayout(this.exports); // a fresh instance's memory is the initial image
      layouts.set(module, layout);
    }
    this.layout = layout;
    startStackWatch(this);
  }

  /** The process owning this instance; a call from an instance no process owns is a bug. */
  owner(): Process {
    const p = this.proc;
    if (!p) throw new Error("busybox.wasm called the host from an instance no process owns");
    return p;
  }

  /** The linear memory as bytes (views are remade after the memory grew). */
  bytes(): Uint8Array {
    if (this.u8.length === 0) this.remap();
    return this.u8;
  }

  view(): DataView {
    if (this.u8.length === 0) this.remap();
    return this.dv;
  }

  private remap(): void {
    const buffer = this.exports.memory.buffer;
    this.u8 = new Uint8Array(buffer);
    this.dv = new DataView(buffer);
  }
}

const layouts = new WeakMap<WasmModule, MemoryLayout>();

export class InstancePool {
  private readonly free: ProcessSlot[] = [];
  constructor(
    readonly module: WasmModule,
    private readonly bind: ImportBinder,
    private readonly capacity = 8,
  ) {}

  /** An instance whose memory will be overwritten with `bytes` of a parent's memory. */
  forFork(bytes: number): ProcessSlot {
    const i = this.free.findIndex((s) => s.exports.memory.buffer.byteLength <= bytes);
    if (i >= 0) return removeAt(this.free, i);
    return new Slot(this.module, this.bind);
  }

  /** An instance in the module's initial state, ready for `_start`. */
  forSpawn(): ProcessSlot {
    const i = this.free.findIndex((s) => s.exports.memory.buffer.byteLength === s.layout.image.byteLength);
    if (i < 0) return new Slot(this.module, this.bind);
    const slot = removeAt(this.free, i);
    resetMemory(slot);
    return slot;
  }

  /** Bytes of wasm memory the kept instances hold. */
  bytes(): number {
    return this.free.reduce((n, s) => n + s.exports.memory.buffer.byteLength, 0);
  }

  /** Takes back the instance of an exited process, if it ended cleanly. */
  give(slot: ProcessSlot, clean: boolean): void {
    slot.proc = undefined;
    const ex = slot.exports as BusyboxExports & { asyncify_get_state?: () => number };
    if (!clean || this.free.length >= this.capacity || (ex.asyncify_get_state?.() ?? 1) !== 0) return;
    if (ex.memory.buffer.byteLength > MAX_KEPT_BYTES) return; // wasm memory never shrinks: drop big ones
    this.free.push(slot);
  }
}
