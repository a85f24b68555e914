import { describe, expect, it } from "vitest";
import { capWasmMemory, WasmModuleProblem } from "../../runtimes/wasm/wasm-memory-cap.js";
import { wat } from "../security/wasm-attacks.js";

const PAGE = 65536;
const bytes = (text: string) => new Uint8Array(Buffer.from(wat(text).split(",")[1] as string, "base64"));

function memoryOf(module: Uint8Array): WebAssembly.Memory {
  const instance = new WebAssembly.Instance(new WebAssembly.Module(module as Uint8Array<ArrayBuffer>));
  return instance.exports.memory as WebAssembly.Memory;
}

describe("capWasmMemory", () => {
  it("gives a memory without a maximum the step's limit, so memory.grow past it fails", () => {
    const memory = memoryOf(capWasmMemory(bytes('(module (memory (export "memory") 1))'), 4 * PAGE));
    expect(memory.grow(3)).toBe(1);
    expect(() => memory.grow(1)).toThrow(RangeError);
    expect(memory.buffer.byteLength).toBe(4 * PAGE);
  });

  it("lowers a larger maximum and keeps a smaller one", () => {
    const lowered = memoryOf(capWasmMemory(bytes('(module (memory (export "memory") 1 1000))'), 2 * PAGE));
    expect(() => lowered.grow(2)).toThrow(RangeError);
    const kept = memoryOf(capWasmMemory(bytes('(module (memory (export "memory") 1 2))'), 100 * PAGE));
    expect(() => kept.grow(2)).toThrow(RangeError);
    expect(kept.grow(1)).toBe(1);
  });

  it("leaves a module without memory as it is, and refuses one whose memory starts above the limit", () => {
    const none = bytes('(module (func (export "f")))');
    expect(capWasmMemory(none, PAGE)).toBe(none);
    expect(() => capWasmMemory(bytes("(module (memory 10))"), 4 * PAGE)).toThrow(
      new WasmModuleProblem(
        `the module's memory starts at ${10 * PAGE} bytes, above the step's memory limit of ${4 * PAGE} bytes`,
        "memory",
      ),
    );
  });

  it("refuses bytes that are not a module", () => {
    expect(() => capWasmMemory(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]), PAGE)).toThrow(
      /not a WebAssembly module/,
    );
    const truncated = bytes('(module (memory (export "memory") 1))').slice(0, 12);
    expect(() => capWasmMemory(truncated, PAGE)).toThrow(WasmModuleProblem);
  });
});
