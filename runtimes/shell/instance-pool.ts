/**
 * Reusable instances of the busybox module. Instantiating costs ~0.35 ms (most of a fork),
 * so the instance of an exited process is kept and handed to the next fork or spawn. Its
 * imports forward to a table that is swapped per process, and its whole linear memory is
 * overwritten before reuse (with the parent's memory for a fork, with the module's initial
 * image for a new first process), so nothing of the previous process remains.
 */
import type { BusyboxExports } from "./process.js";

/*
 * The WebAssembly JS API, typed locally: a global declaration here would clash with
 * builds whose tsconfig has a DOM or WebWorker lib (where TypeScript declares it).
 */
export interface WasmModule {
  readonly __wasmModule?: never;
}
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
export interface WasmGlobal {
  value: unknown;
}
export interface WasmTable {
  get(index: number): unknown;
}
export interface WasmInstance {
  readonly exports: Record<string, unknown>;
}
export interface WasmImportDescriptor {
  readonly module: string;
  readonly name: string;
  readonly kind: string;
}
export type WasmImports = Record<string, Record<string, unknown>>;

interface WebAssemblyApi {
  Module: {
    imports(m: WasmModule): WasmImportDescriptor[];
    exports(m: WasmModule): { name: string; kind: string }[];
  };
  Instance: new (m: WasmModule, imports: WasmImports) => WasmInstance;
  RuntimeError: new (...args: never[]) => Error;
  compile(bytes: Uint8Array | ArrayBuffer): Promise<WasmModule>;
}

export const Wasm = (globalThis as unknown as { WebAssembly: WebAssemblyApi }).WebAssembly;

export function isWasmModule(x: unknown): x is WasmModule {
  return x instanceof (Wasm.Module as unknown as new () => object);
}

type Fn = (...args: unknown[]) => unknown;

/** Instances whose memory grew past this are not kept. */
const MAX_KEPT_BYTES = 4 << 20;

export class Slot {
  /** The import functions of the process using this instance now. */
  table: WasmImports = {};
  readonly instance: WasmInstance;
  constructor(module: WasmModule) {
    const imports: WasmImports = {};
    for (const d of Wasm.Module.imports(module)) {
      if (d.kind !== "function") continue;
      const { module: mod, name } = d;
      const group = imports[mod] ?? {};
      imports[mod] = group;
      group[name] = (...args: unknown[]) => {
        const f = this.table[mod]?.[name] as Fn | undefined;
        if (!f) throw new Error(`busybox.wasm called ${mod}.${name} on an instance no process owns`);
        return f(...args);
      };
    }
    this.instance = new Wasm.Instance(module, imports);
  }
  get exports(): BusyboxExports {
    return this.instance.exports as unknown as BusyboxExports;
  }
}

interface Pristine {
  readonly image: Uint8Array;
  readonly stackPointer: unknown;
}

export class InstancePool {
  private readonly free: Slot[] = [];
  private pristine: Pristine | undefined;
  constructor(
    readonly module: WasmModule,
    private readonly capacity = 8,
  ) {}

  /** An instance whose memory will be overwritten with `bytes` of a parent's memory. */
  forFork(bytes: number): Slot {
    const i = this.free.findIndex((s) => s.exports.memory.buffer.byteLength <= bytes);
    if (i >= 0) return this.free.splice(i, 1)[0] as Slot;
    return new Slot(this.module);
  }

  /** An instance in the module's initial state, ready for `_start`. */
  forSpawn(): Slot {
    if (!this.pristine) {
      const slot = new Slot(this.module);
      const ex = slot.exports;
      this.pristine = {
        image: new Uint8Array(ex.memory.buffer).slice(),
        stackPointer: ex.__stack_pointer.value,
      };
      return slot;
    }
    const { image, stackPointer } = this.pristine;
    const i = this.free.findIndex((s) => s.exports.memory.buffer.byteLength === image.byteLength);
    if (i < 0) return new Slot(this.module);
    const slot = this.free.splice(i, 1)[0] as Slot;
    new Uint8Array(slot.exports.memory.buffer).set(image);
    slot.exports.__stack_pointer.value = stackPointer;
    return slot;
  }

  /** Bytes of wasm memory the kept instances hold. */
  bytes(): number {
    return this.free.reduce((n, s) => n + s.exports.memory.buffer.byteLength, 0);
  }

  /** Takes back the instance of an exited process, if it ended cleanly. */
  give(slot: Slot, clean: boolean): void {
    slot.table = {};
    const ex = slot.exports as BusyboxExports & { asyncify_get_state?: () => number };
    if (!clean || this.free.length >= this.capacity || (ex.asyncify_get_state?.() ?? 1) !== 0) return;
    if (ex.memory.buffer.byteLength > MAX_KEPT_BYTES) return; // wasm memory never shrinks: drop big ones
    this.free.push(slot);
  }
}
