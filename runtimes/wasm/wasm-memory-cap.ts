/**
 * Bounds the memory of an untrusted WebAssembly module before it is compiled: the
 * maximum of every memory it defines is lowered to the step's limit (a memory without a
 * maximum gets one), so `memory.grow` past the limit fails inside the module (it returns
 * -1) instead of taking the worker's memory. Only the memory section changes.
 */

/** A module that cannot be run within the limit, or is not one this parser accepts. */
export class WasmModuleProblem extends Error {
  constructor(
    message: string,
    readonly kind: "memory" | "format",
  ) {
    super(message);
  }
}

const PAGE = 65536;

function readUleb(bytes: Uint8Array, at: number): { value: number; next: number } {
  let value = 0;
  let shift = 0;
  let i = at;
  for (;;) {
    if (i >= bytes.length) throw new WasmModuleProblem("the module ends inside a number", "format");
    const b = bytes[i++] as number;
    value += (b & 0x7f) * 2 ** shift;
    if ((b & 0x80) === 0) return { value, next: i };
    shift += 7;
    if (shift > 35) throw new WasmModuleProblem("the module holds a number too long", "format");
  }
}

function uleb(value: number): number[] {
  const out: number[] = [];
  let v = value;
  do {
    let b = v % 128;
    v = Math.floor(v / 128);
    if (v > 0) b |= 0x80;
    out.push(b);
  } while (v > 0);
  return out;
}

/**
 * The module with every defined memory's maximum at most `maxBytes` (rounded down to whole
 * 64 KiB pages). Throws {@link WasmModuleProblem} when a memory's minimum is already above it.
 */
export function capWasmMemory(bytes: Uint8Array, maxBytes: number): Uint8Array {
  if (bytes.length < 8 || bytes[0] !== 0 || bytes[1] !== 0x61 || bytes[2] !== 0x73 || bytes[3] !== 0x6d)
    throw new WasmModuleProblem("the file is not a WebAssembly module (no \\0asm header)", "format");
  const maxPages = Math.max(1, Math.floor(maxBytes / PAGE));
  let at = 8;
  while (at < bytes.length) {
    const id = bytes[at] as number;
    const size = readUleb(bytes, at + 1);
    const start = size.next;
    const end = start + size.value;
    if (end > bytes.length)
      throw new WasmModuleProblem("a section runs past the end of the module", "format");
    if (id === 5) {
      const count = readUleb(bytes, start);
      const body: number[] = [...uleb(count.value)];
      let p = count.next;
      for (let i = 0; i < count.value; i++) {
        const flags = bytes[p] as number;
        if (flags & ~0x03)
          throw new WasmModuleProblem("64-bit or otherwise unusual memories are not supported", "format");
        const min = readUleb(bytes, p + 1);
        p = min.next;
        let max = maxPages;
        if (flags & 0x01) {
          const declared = readUleb(bytes, p);
          p = declared.next;
          max = Math.min(declared.value, maxPages);
        }
        if (min.value > maxPages) {
          throw new WasmModuleProblem(
            `the module's memory starts at ${min.value * PAGE} bytes, above the step's memory limit of ${maxPages * PAGE} bytes`,
            "memory",
          );
        }
        body.push(flags | 0x01, ...uleb(min.value), ...uleb(max));
      }
      if (p !== end) throw new WasmModuleProblem("the memory section has bytes left over", "format");
      const section = [5, ...uleb(body.length), ...body];
      const out = new Uint8Array(bytes.length - (end - at) + section.length);
      out.set(bytes.subarray(0, at), 0);
      out.set(section, at);
      out.set(bytes.subarray(end), at + section.length);
      return out;
    }
    at = end;
  }
  return bytes;
}
