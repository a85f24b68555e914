/**
 * The imports of an instance of busybox.wasm, made once per instance (slot-bound): WASI,
 * the bbhost calls of the compat layer, and the env.invoke_* trampolines of the
 * Emscripten-style setjmp/longjmp lowering. They act for whichever process owns the slot.
 */
import { hostImports } from "./host-imports.js";
import { type Slot, Wasm, type WasmImports, type WasmModule } from "./instance-pool.js";
import { LONGJMP } from "./process.js";
import { wasiFsImports } from "./wasi-fs-imports.js";
import { wasiImports } from "./wasi-imports.js";

type Fn = (...args: never[]) => unknown;
type TableFn = (...args: unknown[]) => unknown;

const invokeNames = new WeakMap<WasmModule, string[]>();

/** The imports of a new instance in `slot`. */
export function bindImports(slot: Slot, module: WasmModule): WasmImports {
  let names = invokeNames.get(module);
  if (!names) {
    names = Wasm.Module.imports(module)
      .filter((i) => i.module === "env" && i.name.startsWith("invoke_"))
      .map((i) => i.name);
    invokeNames.set(module, names);
  }
  return {
    wasi_snapshot_preview1: { ...wasiFsImports(slot), ...wasiImports(slot) },
    bbhost: hostImports(slot),
    env: invokeImports(names, slot),
  };
}

/**
 * env.invoke_<sig>(index, ...args): call a table function; a longjmp out of it (the
 * LONGJMP throw) comes back here, where the stack pointer is restored and the caller
 * finds __THREW__ set. Also Asyncify imports: an unwind passes through them. They only
 * touch the instance itself, so they are bound to the slot, one closure per arity.
 */
export function invokeImports(names: readonly string[], slot: Slot): Record<string, Fn> {
  const fns: TableFn[] = [];
  const fn = (index: number): TableFn => {
    let f = fns[index];
    if (!f) {
      f = slot.exports.__indirect_function_table.get(index) as TableFn;
      fns[index] = f;
    }
    return f;
  };
  const out: Record<string, Fn> = {};
  for (const name of names) {
    const zero = name[7] === "j" ? 0n : 0;
    const caught = (e: unknown, sp: unknown): unknown => {
      if (e !== LONGJMP) throw e;
      slot.exports.__stack_pointer.value = sp;
      return zero;
    };
    const sp = () => slot.exports.__stack_pointer.value;
    const arity = name.length - 8;
    out[name] = [
      (i: number) => {
        const s = sp();
        try {
          return fn(i)();
        } catch (e) {
          return caught(e, s);
        }
      },
      (i: number, a: unknown) => {
        const s = sp();
        try {
          return fn(i)(a);
        } catch (e) {
          return caught(e, s);
        }
      },
      (i: number, a: unknown, b: unknown) => {
        const s = sp();
        try {
          return fn(i)(a, b);
        } catch (e) {
          return caught(e, s);
        }
      },
      (i: number, a: unknown, b: unknown, c: unknown) => {
        const s = sp();
        try {
          return fn(i)(a, b, c);
        } catch (e) {
          return caught(e, s);
        }
      },
      (i: number, ...rest: unknown[]) => {
        const s = sp();
        try {
          return fn(i)(...rest);
        } catch (e) {
          return caught(e, s);
        }
      },
    ][Math.min(arity, 4)] as Fn;
  }
  return out;
}
