/** The QuickJS module from its compiled WebAssembly, the same for Node (node-quickjs.ts) and browsers (browser-quickjs.ts). */
import variantExport from "@jitl/quickjs-wasmfile-release-sync";
import {
  newQuickJSWASMModuleFromVariant,
  newVariant,
  type QuickJSSyncVariant,
  type QuickJSWASMModule,
} from "quickjs-emscripten-core";

// The package's types describe its CommonJS build; its ESM build's default export is the variant.
const variant = ((variantExport as { default?: unknown }).default ?? variantExport) as QuickJSSyncVariant;

/** Instantiates QuickJS from `wasmModule` (compiled by the platform's loader: no fetch, no eval here). */
export function quickJsModuleFrom(wasmModule: WebAssembly.Module): Promise<QuickJSWASMModule> {
  return newQuickJSWASMModuleFromVariant(newVariant(variant, { wasmModule }));
}
