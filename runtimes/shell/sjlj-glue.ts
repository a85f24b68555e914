/**
 * setjmp/longjmp that never leave wasm. busybox.wasm uses LLVM's Emscripten-style lowering
 * (Asyncify cannot unwind through wasm exception handling): every call that may longjmp
 * goes through an imported env.invoke_<sig>(index, ...args), and longjmp calls the import
 * bbhost.throw_longjmp. Both come from a small wasm module made here, whose invoke
 * functions call the table entry inside a wasm `try` and, on the longjmp tag, put the
 * stack pointer back and return zero (the caller then finds __THREW__ set); Asyncify's
 * unwinds pass through them as plain returns. So a call through invoke_* is a wasm-to-wasm
 * call, and a longjmp a wasm throw, instead of trips through JavaScript.
 *
 * It needs busybox.wasm to import its function table, with two more entries that read and
 * write busybox's stack pointer (build/host-interface.mjs does that and records the table's
 * size and those entries in the custom section "sandflow"): the host makes the table per
 * instance and gives it to both modules.
 */
import { Wasm, type WasmImports, type WasmModule, type WasmTable } from "./wasm-api.js";

/** What host-interface.mjs records in the custom section "sandflow". */
interface Recorded {
  /** The table's fixed size. */
  readonly tableSize: number;
  /** Table indices of busybox's functions () -> sp and (sp) -> (). */
  readonly spGet: number;
  readonly spSet: number;
}

/** The glue module for one busybox module. */
export interface SjljGlue {
  readonly recorded: Recorded;
  readonly module: WasmModule;
}

const VALTYPE: Record<string, number> = { i: 0x7f, j: 0x7e, f: 0x7d, d: 0x7c };
const ZERO: Record<string, number[]> = {
  i: [0x41, 0],
  j: [0x42, 0],
  f: [0x43, 0, 0, 0, 0],
  d: [0x44, 0, 0, 0, 0, 0, 0, 0, 0],
};

const uleb = (n: number): number[] => {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
};
const sleb = (n: number): number[] => {
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) return [...out, b];
    out.push(b | 0x80);
  }
};
const vec = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];
const name = (s: string): number[] => [...uleb(s.length), ...[...s].map((c) => c.charCodeAt(0))];
const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body];
const funcType = (params: number[], results: number[]): number[] => [
  0x60,
  ...vec(params.map((p) => [p])),
  ...vec(results.map((r) => [r])),
];

/** The glue's wasm bytes for the given invoke_* import names. */
export function glueBytes(invokes: readonly string[], table: Recorded): Uint8Array {
  // types 0: () -> () (the tag, throw_longjmp), 1: () -> i32 (spGet), 2: (i32) -> () (spSet)
  const types: number[][] = [funcType([], []), funcType([], [0x7f]), funcType([0x7f], [])];
  const funcs: number[] = [0];
  const bodies: number[][] = [[0x04, 0x00, 0x08, 0x00, 0x0b]]; // throw_longjmp: throw $tag
  const exports: number[][] = [[...name("throw_longjmp"), 0x00, 0x00]];
  for (const inv of invokes) {
    const sig = inv.slice("invoke_".length);
    const ret = sig[0] ?? "v";
    const params = [...sig.slice(1)].map((c) => VALTYPE[c] ?? Number.NaN);
    if (params.some(Number.isNaN) || (ret !== "v" && VALTYPE[ret] === undefined)) {
      throw new Error(`busybox.wasm imports ${inv}: unknown signature`);
    }
    const results = ret === "v" ? [] : [VALTYPE[ret] as number];
    const callee = types.length;
    types.push(funcType(params, results), funcType([0x7f, ...params], results));
    funcs.push(callee + 1);
    const sp = params.length + 1; // the local holding the stack pointer
    const code = [
      ...[0x41, ...sleb(table.spGet), 0x11, 0x01, 0x00, 0x21, ...uleb(sp)], // $sp = spGet()
      0x06,
      results[0] ?? 0x40, // try (result)
      ...params.flatMap((_, k) => [0x20, ...uleb(k + 1)]),
      ...[0x20, 0x00, 0x11, ...uleb(callee), 0x00], // call_indirect (local.get $index)
      ...[0x07, 0x00], // catch $tag
      ...[0x20, ...uleb(sp), 0x41, ...sleb(table.spSet), 0x11, 0x02, 0x00], // spSet($sp)
      ...(ret === "v" ? [] : (ZERO[ret] as number[])),
      0x0b,
      0x0b,
    ];
    const body = [...vec([[0x01, 0x7f]]), ...code];
    bodies.push([...uleb(body.length), ...body]);
    exports.push([...name(inv), 0x00, ...uleb(funcs.length - 1)]);
  }
  const limits = [0x01, ...uleb(table.tableSize), ...uleb(table.tableSize)];
  return new Uint8Array([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, vec(types)),
    ...section(2, vec([[...name("env"), ...name("table"), 0x01, 0x70, ...limits]])),
    ...section(3, vec(funcs.map((t) => uleb(t)))),
    ...section(13, vec([[0x00, 0x00]])), // one tag, type 0
    ...section(7, vec(exports)),
    ...section(10, vec(bodies)),
  ]);
}

const glues = new WeakMap<WasmModule, SjljGlue>();

/** The glue of `busybox` (made once per module); throws for a busybox.wasm without it. */
export function glueFor(busybox: WasmModule): SjljGlue {
  let glue = glues.get(busybox);
  if (!glue) {
    const section = Wasm.Module.customSections(busybox, "sandflow")[0];
    if (!section) throw new Error("busybox.wasm has no sandflow section: run npm run build:busybox");
    const recorded = JSON.parse(new TextDecoder().decode(section)) as Recorded;
    const invokes = Wasm.Module.imports(busybox)
      .filter((i) => i.module === "env" && i.name.startsWith("invoke_"))
      .map((i) => i.name);
    glue = { recorded, module: new Wasm.Module(glueBytes(invokes, recorded)) };
    glues.set(busybox, glue);
  }
  return glue;
}

/** The table and glue functions of one new busybox instance. */
export function glueImports(glue: SjljGlue): { env: WasmImports[string]; throwLongjmp: unknown } {
  const size = glue.recorded.tableSize;
  const table: WasmTable = new Wasm.Table({ element: "anyfunc", initial: size, maximum: size });
  const helper = new Wasm.Instance(glue.module, { env: { table } });
  const { throw_longjmp: throwLongjmp, ...invokes } = helper.exports;
  return { env: { ...invokes, __indirect_function_table: table }, throwLongjmp };
}
