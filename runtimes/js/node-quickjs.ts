/** Loads the QuickJS WebAssembly module in Node, from the package's .wasm file (no fetch, no eval). */
import { readFileSync } from "node:fs";
import type { QuickJSWASMModule } from "quickjs-emscripten-core";
import { quickJsModuleFrom } from "./quickjs-variant.js";

/** Path of QuickJS's .wasm file. */
export function quickJsWasmPath(): URL {
  return new URL(import.meta.resolve("@jitl/quickjs-wasmfile-release-sync/wasm"));
}

/** Compiles and instantiates the QuickJS module. */
export async function loadQuickJsModule(): Promise<QuickJSWASMModule> {
  return quickJsModuleFrom(new WebAssembly.Module(readFileSync(quickJsWasmPath())));
}
