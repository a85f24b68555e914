/**
 * The WebAssembly side of the shell runtime, in a file of its own (it imports nothing, so
 * the runtime's files can all use it): the WebAssembly JS API as the runtime uses it, typed
 * locally (a global declaration would clash with builds whose tsconfig has a DOM or
 * WebWorker lib, where TypeScript declares it), and what busybox.wasm exports.
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
    new (bytes: Uint8Array): WasmModule;
    imports(m: WasmModule): WasmImportDescriptor[];
    exports(m: WasmModule): { name: string; kind: string }[];
    customSections(m: WasmModule, name: string): ArrayBuffer[];
  };
  Instance: new (m: WasmModule, imports: WasmImports) => WasmInstance;
  Table: new (d: { element: string; initial: number; maximum?: number }) => WasmTable;
  RuntimeError: new (...args: never[]) => Error;
  compile(bytes: Uint8Array | ArrayBuffer): Promise<WasmModule>;
}

export const Wasm = (globalThis as unknown as { WebAssembly: WebAssemblyApi }).WebAssembly;

export function isWasmModule(x: unknown): x is WasmModule {
  return x instanceof (Wasm.Module as unknown as new () => object);
}

/** Bytes of the Asyncify save area (SANDFLOW_ASYNCIFY_BUF in build/build.sh). */
export const ASYNCIFY_BYTES = 131072;

/** What busybox.wasm exports. */
export interface BusyboxExports {
  readonly memory: WasmMemory;
  readonly __stack_pointer: WasmGlobal;
  readonly __indirect_function_table: WasmTable;
  readonly sandflow_asyncify_area: WasmGlobal;
  /** Stack depth reporting (build/stack-watch.mjs); absent in older builds. */
  readonly sandflow_stack_limit?: WasmGlobal;
  _start(): void;
  asyncify_start_unwind(addr: number): void;
  asyncify_stop_unwind(): void;
  asyncify_start_rewind(addr: number): void;
  asyncify_stop_rewind(): void;
}
