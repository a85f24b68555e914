/**
 * The imports of an instance of busybox.wasm, made once per instance: WASI and the bbhost
 * calls of the compat layer (bound to the instance's slot: they act for whichever process
 * owns it), and the stack pointer, table and setjmp/longjmp glue (sjlj-glue.ts).
 */
import { hostImports } from "./host-imports.js";
import type { ProcessSlot } from "./process.js";
import { glueFor, glueImports } from "./sjlj-glue.js";
import { wasiFsImports } from "./wasi-fs-imports.js";
import { wasiImports } from "./wasi-imports.js";
import type { WasmImports, WasmModule } from "./wasm-api.js";

/** The imports of a new instance in `slot`. */
export function bindImports(slot: ProcessSlot, module: WasmModule): WasmImports {
  const { env, throwLongjmp } = glueImports(glueFor(module));
  return {
    wasi_snapshot_preview1: { ...wasiFsImports(slot), ...wasiImports(slot) },
    bbhost: { ...hostImports(slot), throw_longjmp: throwLongjmp },
    env,
  };
}
