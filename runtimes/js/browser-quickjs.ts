/** Loads the QuickJS WebAssembly module in a browser worker, from the page's own origin. */
import variantExport from "@jitl/quickjs-wasmfile-release-sync";
import {
  newQuickJSWASMModuleFromVariant,
  newVariant,
  type QuickJSSyncVariant,
  type QuickJSWASMModule,
} from "quickjs-emscripten-core";

// The package's types describe its CommonJS build; its ESM build's default export is the variant.
const variant = ((variantExport as { default?: unknown }).default ?? variantExport) as QuickJSSyncVariant;

/** Fetches, compiles and instantiates the QuickJS module from `wasmURL`. */
export async function loadBrowserQuickJsModule(wasmURL: string): Promise<QuickJSWASMModule> {
  const response = await fetch(wasmURL);
  if (!response.ok) throw new Error(`sandflow: cannot load QuickJS from ${wasmURL}: HTTP ${response.status}`);
  const module = await WebAssembly.compileStreaming(response);
  return newQuickJSWASMModuleFromVariant(newVariant(variant, { wasmModule: module }));
}
