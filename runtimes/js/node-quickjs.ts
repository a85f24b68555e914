/** Loads the QuickJS WebAssembly module in Node, from the package's .wasm file (no fetch, no eval). */
import { readFileSync } from "node:fs";
import variantExport from "@jitl/quickjs-wasmfile-release-sync";
import {
  newQuickJSWASMModuleFromVariant,
  newVariant,
  type QuickJSSyncVariant,
  type QuickJSWASMModule,
} from "quickjs-emscripten-core";

// The package's types describe its CommonJS build; its ESM build's default export is the variant.
const variant = ((variantExport as { default?: unknown }).default ?? variantExport) as QuickJSSyncVariant;

/** Path of QuickJS's .wasm file. */
export function quickJsWasmPath(): URL {
  return new URL(import.meta.resolve("@jitl/quickjs-wasmfile-release-sync/wasm"));
}

/** Compiles and instantiates the QuickJS module. */
export async function loadQuickJsModule(): Promise<QuickJSWASMModule> {
  const module = new WebAssembly.Module(readFileSync(quickJsWasmPath()));
  return newQuickJSWASMModuleFromVariant(newVariant(variant, { wasmModule: module }));
}
