/**
 * Shell steps: busybox 1.35 ash compiled to wasm32-wasi, run by a cooperative
 * multi-process host on browser_wasi_shim. Platform-free (Web Worker or Node worker).
 *
 *   const factory = createShellRuntimeFactory({ loadWasm: loadBusyboxWasm });
 *   const runtime = await factory.create();
 *   const outcome = await runtime.run(invocation);
 */
import type { LanguageRuntime, LanguageRuntimeFactory } from "../worker/language-runtime.js";
import { exitCode, sharedCell } from "./kernel-api.js";
import { buildRootFs, RootLayouts } from "./root-fs.js";
import { runBusybox, ShellRuntime } from "./shell-runtime.js";
import { isWasmModule, Wasm, type WasmModule } from "./wasm-api.js";

export { exitCode, StepAbort } from "./kernel-api.js";
export { buildRootFs, type RootFs, RootLayout, RootLayouts, readFile, writeFile } from "./root-fs.js";
export { type RunOptions, runBusybox, type ShellRun, ShellRuntime } from "./shell-runtime.js";
export { inputVarName } from "./step-contract.js";
export type { WasmModule } from "./wasm-api.js";

export interface ShellRuntimeFactoryOptions {
  /** The busybox.wasm bytes or its compiled module (compiled once per factory). */
  readonly loadWasm: () => Promise<WasmModule | Uint8Array | ArrayBuffer>;
}

const REQUIRED_EXPORTS = [
  "memory",
  "_start",
  "__stack_pointer",
  "__indirect_function_table",
  "sandflow_asyncify_area",
  "asyncify_start_unwind",
  "asyncify_stop_unwind",
  "asyncify_start_rewind",
  "asyncify_stop_rewind",
];

/** A compiled busybox.wasm and the applets it provides. */
export interface ShellModule {
  readonly module: WasmModule;
  readonly applets: readonly string[];
}

/** Compiles (if needed) and checks busybox.wasm; lists its applets by running `busybox --list`. */
export async function loadShellModule(wasm: WasmModule | Uint8Array | ArrayBuffer): Promise<ShellModule> {
  const module = isWasmModule(wasm) ? wasm : await Wasm.compile(wasm);
  const exports = new Set(Wasm.Module.exports(module).map((e) => e.name));
  const missing = REQUIRED_EXPORTS.filter((n) => !exports.has(n));
  if (missing.length > 0) {
    throw new Error(
      `not sandflow's busybox.wasm (missing exports: ${missing.join(", ")}); run npm run build:busybox`,
    );
  }
  // the applet list comes from the binary itself (it names the /bin entries)
  const r = await runBusybox(module, {
    args: ["busybox", "--list"],
    env: [],
    fs: buildRootFs({}, 1 << 20, []),
    memoryBytes: 64 << 20,
    processes: 4,
    outputBytes: 1 << 20,
    interrupted: () => false,
    waitCell: sharedCell(),
  });
  const applets = new TextDecoder().decode(r.stdout).split("\n").filter(Boolean);
  if (exitCode(r.status) !== 0 || !applets.includes("sh")) {
    throw new Error(`busybox.wasm did not list its applets (status ${exitCode(r.status)})`);
  }
  return { module, applets };
}

/** A factory of shell runtimes; the module is compiled on the first create() and shared. */
export function createShellRuntimeFactory(options: ShellRuntimeFactoryOptions): LanguageRuntimeFactory {
  let loaded: Promise<ShellModule> | undefined;
  let layouts: RootLayouts | undefined;
  return {
    language: "shell",
    async create(): Promise<LanguageRuntime> {
      loaded ??= options.loadWasm().then(loadShellModule);
      try {
        const { module, applets } = await loaded;
        layouts ??= new RootLayouts(applets);
        return new ShellRuntime(module, applets, layouts);
      } catch (e) {
        loaded = undefined; // let a later create() try again
        throw e;
      }
    },
  };
}
