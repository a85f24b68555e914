/** Loads the QuickJS WebAssembly module in a browser worker, from the page's own origin. */
import type { QuickJSWASMModule } from "quickjs-emscripten-core";
import { quickJsModuleFrom } from "./quickjs-variant.js";

/** Fetches, compiles and instantiates the QuickJS module from `wasmURL`. */
export async function loadBrowserQuickJsModule(wasmURL: string): Promise<QuickJSWASMModule> {
  const response = await fetch(wasmURL);
  if (!response.ok) throw new Error(`sandflow: cannot load QuickJS from ${wasmURL}: HTTP ${response.status}`);
  return quickJsModuleFrom(await WebAssembly.compileStreaming(response));
}
