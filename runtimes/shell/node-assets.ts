/**
 * Node-only helpers (the rest of runtimes/shell is platform-free): find and load the
 * committed runtimes/shell/wasm/busybox.wasm. They work from runtimes/shell/*.ts (vitest)
 * and from dist/runtimes/shell/*.js (after `tsc -p tsconfig.build.json`, one folder
 * deeper) by walking up from this file to the folder that holds package.json.
 */
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { LanguageRuntimeFactory } from "../worker/language-runtime.js";
import { createShellRuntimeFactory } from "./index.js";
import { Wasm, type WasmModule } from "./wasm-api.js";

/** Absolute path of the committed busybox.wasm. */
export function busyboxWasmPath(): string {
  const here = fileURLToPath(import.meta.url);
  let dir = dirname(here);
  for (;;) {
    const candidate = join(dir, "runtimes", "shell", "wasm", "busybox.wasm");
    if (existsSync(join(dir, "package.json")) && existsSync(candidate)) return candidate;
    const up = dirname(dir);
    if (up === dir) throw new Error(`runtimes/shell/wasm/busybox.wasm not found above ${here}`);
    dir = up;
  }
}

/** The busybox.wasm bytes, for createShellRuntimeFactory({ loadWasm: loadBusyboxWasm }). */
export async function loadBusyboxWasm(): Promise<Uint8Array> {
  return new Uint8Array(await readFile(busyboxWasmPath()));
}

let compiled: Promise<WasmModule> | undefined;

/** busybox.wasm compiled once per process (a compiled module can be posted to workers). */
export function loadBusyboxModule(): Promise<WasmModule> {
  compiled ??= loadBusyboxWasm().then((bytes) => Wasm.compile(bytes));
  compiled.catch(() => {
    compiled = undefined;
  });
  return compiled;
}

/** A shell runtime factory that loads the committed busybox.wasm. */
export function createNodeShellRuntimeFactory(): LanguageRuntimeFactory {
  return createShellRuntimeFactory({ loadWasm: loadBusyboxModule });
}
