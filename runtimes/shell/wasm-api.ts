/**
 * The WebAssembly JS API, typed locally: the project's tsconfig has no DOM/WebWorker
 * lib (where TypeScript declares `WebAssembly`), and a global declaration here would
 * clash with builds that do include one.
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
