/**
 * What the JavaScript runtime reads and writes of QuickJS's and quickjs-emscripten's private
 * state to reset a module after every step (js-runtime.ts, quickjs-image.ts): the host
 * functions' id map, the context's lazily made handles, the state of Math.random and the C
 * stack's top. The versions are pinned in package.json; each lookup checks what it finds and
 * throws when a new version laid things out otherwise.
 */
import type { QuickJSContext, QuickJSRuntime } from "quickjs-emscripten-core";

/** The part of quickjs-emscripten's HostRefMap (the host functions a runtime's contexts call). */
interface HostRefs {
  nextId: number;
  freelist: number[];
  groups: Map<number, Map<number, object>>;
  put(value: object): number;
  delete(id: number): void;
}

function isHostRefs(value: unknown): value is HostRefs {
  const refs = value as Partial<HostRefs> | undefined;
  return typeof refs?.nextId === "number" && Array.isArray(refs.freelist) && refs.groups instanceof Map;
}

/**
 * The runtime's host-function map as it was when made, put back after a step that changed
 * it: a step that deleted `console` lets QuickJS's GC finalize its functions, which frees
 * their ids, and the memory reset brings the functions back.
 */
export class HostRefsKeeper {
  readonly #runtime: { hostRefs: HostRefs };
  readonly #saved: HostRefs;
  #touched = false;

  constructor(runtime: QuickJSRuntime) {
    const refs = (runtime as unknown as { hostRefs?: unknown }).hostRefs;
    if (!isHostRefs(refs))
      throw new Error("sandflow: quickjs-emscripten's host references are not the ones it knows");
    this.#runtime = runtime as unknown as { hostRefs: HostRefs };
    this.#saved = this.#copy(refs);
    this.#watch(refs);
  }

  /** Puts the map back if a step added or freed a host function. */
  restore(): void {
    if (!this.#touched) return;
    const refs = this.#copy(this.#saved);
    this.#watch(refs);
    this.#runtime.hostRefs = refs;
    this.#touched = false;
  }

  #copy(refs: HostRefs): HostRefs {
    const copy = Object.create(Object.getPrototypeOf(refs) as object) as HostRefs;
    copy.nextId = refs.nextId;
    copy.freelist = [...refs.freelist];
    copy.groups = new Map([...refs.groups].map(([id, group]) => [id, new Map(group)]));
    return copy;
  }

  /** Notes when the map changes, so it is copied back only then. */
  #watch(refs: HostRefs): void {
    const { put, delete: remove } = refs;
    refs.put = (value) => {
      this.#touched = true;
      return put.call(refs, value);
    };
    refs.delete = (id) => {
      this.#touched = true;
      remove.call(refs, id);
    };
  }
}

/** Protected members of QuickJSContext that are made lazily (none is made before the image). */
const LAZY_HANDLES = ["_BigInt", "_Symbol", "_SymbolIterator", "_SymbolAsyncIterator"] as const;

type LazyHandles = Record<(typeof LAZY_HANDLES)[number], unknown>;

/** Throws if the context made one of its lazy handles (the image would then hold it). */
export function checkNoLazyHandles(ctx: QuickJSContext): void {
  const lazy = ctx as unknown as LazyHandles;
  for (const name of LAZY_HANDLES)
    if (lazy[name] !== undefined) throw new Error(`sandflow: QuickJS context made ${name} before its image`);
}

/** Forgets the lazy handles a step made: their memory went with the reset. */
export function dropLazyHandles(ctx: QuickJSContext): void {
  const lazy = ctx as unknown as LazyHandles;
  for (const name of LAZY_HANDLES) lazy[name] = undefined;
}

/** The address of a context's JSContext and a runtime's JSRuntime in wasm memory. */
export function contextPointer(ctx: QuickJSContext): number {
  return (ctx as unknown as { ctx: { value: number } }).ctx.value;
}

export function runtimePointer(runtime: QuickJSRuntime): number {
  return (runtime as unknown as { rt: { value: number } }).rt.value;
}

/**
 * The address of the state of `Math.random` in QuickJS's context: the one 8-byte word of
 * the context that every call of Math.random changes and plain code does not. A memory
 * reset would otherwise give every step the same random numbers; the host seeds it per step.
 */
export function findRandomState(ctx: QuickJSContext, heap: () => Uint8Array): number {
  const base = contextPointer(ctx);
  const words = () => new BigUint64Array(heap().buffer.slice(base, base + 1024));
  const changedBy = (code: string): Set<number> => {
    const before = words();
    ctx.unwrapResult(ctx.evalCode(code, "sandflow-probe.js")).dispose();
    const after = words();
    const changed = new Set<number>();
    for (let i = 0; i < before.length; i++) if (before[i] !== after[i]) changed.add(i * 8);
    return changed;
  };
  changedBy("Math.random()"); // the first call may set up more than the state
  const plain = changedBy("1");
  const once = changedBy("Math.random()");
  const again = changedBy("Math.random()");
  const found = [...once].filter((at) => !plain.has(at) && again.has(at));
  if (found.length !== 1)
    throw new Error("sandflow: cannot find the state of Math.random in QuickJS's context");
  return base + (found[0] as number);
}

/**
 * The C stack's top as QuickJS's runtime recorded it: JSRuntime holds `stack_size`,
 * `stack_top` and `stack_limit` (= top - size) one after the other; `stackSize` was just set.
 */
export function findStackTop(heap: Uint8Array, runtime: QuickJSRuntime, stackSize: number): number {
  const words = new Uint32Array(heap.buffer, runtimePointer(runtime), 256);
  const found: number[] = [];
  for (let i = 0; i + 2 < words.length; i++) {
    const top = words[i + 1] as number;
    if (words[i] === stackSize && top > stackSize && words[i + 2] === top - stackSize) found.push(top);
  }
  if (found.length !== 1) throw new Error("sandflow: cannot find the stack top in QuickJS's runtime");
  return found[0] as number;
}
