/**
 * Wraps WebAssembly instantiation so Pyodide gets the interpreter module with its memory
 * maximum lowered (see src/protocol/wasm-memory-max.ts), so the interpreter's own allocator
 * fails cleanly (Python raises MemoryError) at the limit.
 */

type Imports = WebAssembly.Imports;
type Source = BufferSource | WebAssembly.Module;

/** Decides, for one instantiation, which compiled module to use and how to change its imports. */
export interface InstantiateOverride {
  /** True for the instantiation to take over (the interpreter's main module). */
  matches(imports: Imports | undefined): boolean;
  /** The module to instantiate, given the bytes the loader fetched. */
  module(bytes: () => Promise<Uint8Array>): Promise<WebAssembly.Module>;
  /** Imports to use instead. */
  imports(imports: Imports): Imports;
}

/**
 * Runs `body` with `WebAssembly.instantiate`/`instantiateStreaming` taken over for the
 * instantiations `override` matches; restored afterwards. Worker threads run one load at
 * a time, so the swap is not seen by other code.
 */
export async function withInstantiateOverride<T>(
  override: InstantiateOverride,
  body: () => Promise<T>,
): Promise<T> {
  const wa = WebAssembly as unknown as Record<string, unknown>;
  const originalInstantiate = WebAssembly.instantiate;
  const originalStreaming = WebAssembly.instantiateStreaming;
  // Emscripten answers a failed instantiation by aborting, and the loader's promise then
  // never settles: the failure is passed on here instead, so the load fails (with why).
  let fail: (error: unknown) => void = () => {};
  const failed = new Promise<never>((_, reject) => {
    fail = reject;
  });
  failed.catch(() => {});
  const take = async (bytes: () => Promise<Uint8Array>, imports: Imports) => {
    try {
      const module = await override.module(bytes);
      const instance = await originalInstantiate(module, override.imports(imports));
      return { module, instance };
    } catch (error) {
      fail(error);
      throw error;
    }
  };
  wa.instantiate = (source: Source, imports?: Imports) => {
    if (!(source instanceof WebAssembly.Module) && override.matches(imports)) {
      const view =
        source instanceof Uint8Array
          ? source
          : new Uint8Array(ArrayBuffer.isView(source) ? source.buffer : source);
      return take(async () => view, imports as Imports);
    }
    return originalInstantiate(source as BufferSource, imports);
  };
  if (originalStreaming) {
    wa.instantiateStreaming = (source: Response | PromiseLike<Response>, imports?: Imports) => {
      if (override.matches(imports)) {
        return take(async () => new Uint8Array(await (await source).arrayBuffer()), imports as Imports);
      }
      return originalStreaming(source, imports);
    };
  }
  try {
    return await Promise.race([body(), failed]);
  } finally {
    wa.instantiate = originalInstantiate;
    wa.instantiateStreaming = originalStreaming;
  }
}
