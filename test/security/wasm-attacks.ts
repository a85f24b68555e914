/**
 * WebAssembly steps trying to reach the host (importing host functions) or exhaust the
 * engine (a loop no interrupt can stop, memory growth, a memory above the limit, deep
 * recursion). Modules are written in WebAssembly text and assembled with binaryen.
 */
import binaryen from "binaryen";
import { expect } from "vitest";
import type { Attack } from "./attack-runner.js";

/** An inline module (a data: URL) from WebAssembly text. */
export function wat(text: string): string {
  const module = binaryen.parseText(text);
  try {
    return `data:application/wasm;base64,${Buffer.from(module.emitBinary()).toString("base64")}`;
  } finally {
    module.dispose();
  }
}

const MB = 1 << 20;

export const wasmAttacks: readonly Attack[] = [
  {
    name: "a module importing a host function",
    category: "js-bridge",
    language: "wasm",
    thread: true,
    step: { func: "run" },
    code: () =>
      wat(`(module (import "env" "system" (func $system (param i32) (result i32)))
        (func (export "run") (result i32) (call $system (i32.const 0))))`),
    check: (step) => expect(step.error?.message).toContain("imports function env.system"),
  },
  {
    name: "a module importing a host memory",
    category: "js-bridge",
    language: "wasm",
    step: { func: "run" },
    code: () =>
      wat(`(module (import "js" "mem" (memory 1)) (func (export "run") (result i32) (i32.const 0)))`),
    check: (step) => expect(step.error?.message).toContain("imports memory js.mem"),
  },
  {
    name: "an endless loop no interrupt can stop",
    category: "timeout",
    language: "wasm",
    thread: true,
    step: { func: "run", timeout: 1 },
    errors: ["StepTimeoutError"],
    maxMs: 3000,
    code: () => wat(`(module (func (export "run") (result i32) (loop $l (br $l)) (i32.const 0)))`),
  },
  {
    name: "memory.grow until it fails",
    category: "memory",
    language: "wasm",
    step: { func: "run", memory: 64 },
    mayPass: true,
    maxRssGrowth: 64 * MB + 300 * MB,
    // Returns 0 when growth stopped under 128 MB, 99 (a failing return code) otherwise.
    code: () =>
      wat(`(module (memory 1)
        (func (export "run") (result i32)
          (loop $l (br_if $l (i32.ne (memory.grow (i32.const 16)) (i32.const -1))))
          (if (result i32) (i32.lt_u (memory.size) (i32.const 2048)) (then (i32.const 0)) (else (i32.const 99)))))`),
    check: (step) => expect(step.output).toMatchObject({ wasm_execution: { return_code: 0 } }),
  },
  {
    name: "a memory that starts above the limit",
    category: "memory",
    language: "wasm",
    step: { func: "run", memory: 64 },
    errors: ["MemoryLimitError"],
    code: () => wat(`(module (memory 4096) (func (export "run") (result i32) (i32.const 0)))`),
  },
  {
    name: "a WASI command writing to stdout forever",
    category: "output",
    language: "wasm",
    errors: ["OutputLimitError"],
    maxMs: 5000,
    code: () =>
      wat(`(module (import "wasi_snapshot_preview1" "fd_write" (func $w (param i32 i32 i32 i32) (result i32)))
        (memory (export "memory") 1)
        (data (i32.const 100) "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\\0a")
        (func (export "_start")
          (i32.store (i32.const 0) (i32.const 100)) (i32.store (i32.const 4) (i32.const 64))
          (loop $l (drop (call $w (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))) (br $l))))`),
  },
  {
    name: "a WASI command filling a file forever",
    category: "workspace",
    language: "wasm",
    errors: ["WorkspaceLimitError"],
    maxMs: 10000,
    code: () =>
      wat(`(module (import "wasi_snapshot_preview1" "fd_write" (func $w (param i32 i32 i32 i32) (result i32)))
        (import "wasi_snapshot_preview1" "path_open"
          (func $open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
        (memory (export "memory") 1)
        (data (i32.const 200) "big.bin")
        (func (export "_start") (local $fd i32)
          (drop (call $open (i32.const 4) (i32.const 0) (i32.const 200) (i32.const 7) (i32.const 9)
            (i64.const 64) (i64.const 64) (i32.const 0) (i32.const 16)))
          (local.set $fd (i32.load (i32.const 16)))
          (i32.store (i32.const 0) (i32.const 1024)) (i32.store (i32.const 4) (i32.const 32768))
          (loop $l (drop (call $w (local.get $fd) (i32.const 0) (i32.const 1) (i32.const 8))) (br $l))))`),
  },
  {
    name: "unbounded recursion",
    category: "recursion",
    language: "wasm",
    step: { func: "run" },
    code: () => wat(`(module (func $f (export "run") (result i32) (i32.add (call $f) (i32.const 1))))`),
    check: (step) => expect(step.error?.message).toMatch(/trapped/),
  },
];
