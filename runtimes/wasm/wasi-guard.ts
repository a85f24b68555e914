/**
 * Every WASI call of a module checks whether the step was told to stop (its timeout, a
 * cancel, or output past the limit) and ends the module there by throwing through its
 * stack; writes to files are counted, and every MiB the workspace is measured against its
 * limit, so a module cannot fill the worker's memory with files before it ends.
 */
import type { Inode } from "@bjorn3/browser_wasi_shim";
import { treeSize } from "../fs/file-tree.js";
import type { StepFailure, StepInvocation } from "../worker/language-runtime.js";
import { directoriesToTree } from "./wasi-tree.js";

/** Thrown from a WASI call to end the module; carries the step's failure. */
export class WasiStop extends Error {
  constructor(readonly failure: StepFailure) {
    super(failure.message);
  }
}

type Imports = Record<string, (...args: number[]) => unknown>;

const CHECK_EVERY = 1024 * 1024;

/** The WASI imports wrapped with the checks. `memory` gives the module's memory once it runs. */
export function guardWasiImports(
  imports: Imports,
  inv: StepInvocation,
  roots: { tmp: Map<string, Inode>; workspace: Map<string, Inode> },
  memory: () => WebAssembly.Memory | undefined,
): Imports {
  let written = 0;
  let nextCheck = CHECK_EVERY;
  const countWrite = (fd: number, iovs: number, count: number) => {
    const mem = memory();
    if (fd <= 2 || !mem) return;
    const view = new DataView(mem.buffer);
    for (let i = 0; i < count; i++) written += view.getUint32(iovs + i * 8 + 4, true);
    if (written < nextCheck) return;
    nextCheck = written + CHECK_EVERY;
    const size = treeSize(directoriesToTree(roots));
    if (size > inv.limits.workspaceBytes) {
      throw new WasiStop({
        name: "WorkspaceLimitError",
        message: `the WASI module wrote more than the workspace limit of ${inv.limits.workspaceBytes} bytes`,
      });
    }
  };
  const guarded: Imports = {};
  for (const [name, fn] of Object.entries(imports)) {
    guarded[name] = (...args: number[]) => {
      if (inv.interrupted())
        throw new WasiStop({ name: "StepRuntimeError", message: "the step was interrupted" });
      if (name === "fd_write" || name === "fd_pwrite")
        countWrite(args[0] as number, args[1] as number, args[2] as number);
      return fn(...args);
    };
  }
  return guarded;
}
