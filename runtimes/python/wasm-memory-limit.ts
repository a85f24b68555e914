/**
 * Lowers the declared maximum of the memory a WebAssembly module defines, so the
 * interpreter's own allocator fails cleanly (Python raises MemoryError) at the limit,
 * and wraps WebAssembly instantiation so Pyodide gets the lowered module.
 */

const PAGE = 65536;

function readLeb(bytes: Uint8Array, at: number): [value: number, next: number] {
  let value = 0;
  let shift = 0;
  let byte: number;
  let pos = at;
  do {
    byte = bytes[pos++] as number;
    value += (byte & 0x7f) * 2 ** shift;
    shift += 7;
  } while (byte & 0x80);
  return [value, pos];
}

function leb(value: number): number[] {
  const out: number[] = [];
  let v = value;
  do {
    let byte = v & 0x7f;
    v = Math.floor(v / 128);
    if (v !== 0) byte |= 0x80;
    out.push(byte);
  } while (v !== 0);
  return out;
}

/**
 * A copy of `bytes` whose defined memory may grow to at most `maxBytes`.
 * @throws Error when the module defines no memory or needs more than `maxBytes` to start.
 */
export function withMemoryMax(bytes: Uint8Array, maxBytes: number): Uint8Array {
  const pages = Math.floor(maxBytes / PAGE);
  let pos = 8;
  while (pos < bytes.length) {
    const start = pos;
    const id = bytes[pos++] as number;
    const [size, body] = readLeb(bytes, pos);
    const end = body + size;
    if (id === 5) {
      const [count, flagsAt] = readLeb(bytes, body);
      if (count !== 1) throw new Error("withMemoryMax: expected exactly one memory");
      const flags = bytes[flagsAt] as number;
      if (flags & 0x04) throw new Error("withMemoryMax: 64-bit memories are not supported");
      const [min, afterMin] = readLeb(bytes, flagsAt + 1);
      if (min > pages)
        throw new Error(
          `the interpreter needs ${Math.ceil((min * PAGE) / 1048576)} MB to start; the limit is ${Math.floor(maxBytes / 1048576)} MB`,
        );
      const afterLimits = flags & 1 ? readLeb(bytes, afterMin)[1] : afterMin;
      const section = [...leb(1), flags | 1, ...leb(min), ...leb(pages), ...bytes.subarray(afterLimits, end)];
      const head = [5, ...leb(section.length)];
      const out = new Uint8Array(bytes.length - (end - start) + head.length + section.length);
      out.set(bytes.subarray(0, start), 0);
      out.set(head, start);
      out.set(section, start + head.length);
      out.set(bytes.subarray(end), start + head.length + section.length);
      return out;
    }
    pos = end;
  }
  throw new Error("withMemoryMax: the module defines no memory");
}

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
