/**
 * Node-only: loads runtimes/shell/wasm/busybox.wasm from the package folder. Works from
 * runtimes/shell/*.ts (vitest) and from dist/runtimes/shell/*.js (after the build),
 * by walking up from this file to the folder that holds package.json.
 */
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** Absolute path of the committed busybox.wasm. */
export function busyboxWasmPath(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, "runtimes", "shell", "wasm", "busybox.wasm");
    if (existsSync(join(dir, "package.json")) && existsSync(candidate)) return candidate;
    const up = dirname(dir);
    if (up === dir)
      throw new Error(`runtimes/shell/wasm/busybox.wasm not found above ${fileURLToPath(import.meta.url)}`);
    dir = up;
  }
}

/** The busybox.wasm bytes, for createShellRuntimeFactory({ loadWasm: loadBusyboxWasm }). */
export async function loadBusyboxWasm(): Promise<Uint8Array> {
  return new Uint8Array(await readFile(busyboxWasmPath()));
}
