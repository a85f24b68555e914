// Adapts the linked busybox.pre.wasm to sandflow's host (runtimes/shell), before Asyncify:
//
// 1. Stack watch: every write of LLVM's __stack_pointer global goes through
//    sandflow_stack_check, which calls the import bbhost.stack_low(sp) when sp drops below
//    the exported mutable global sandflow_stack_limit (the host then lowers the limit).
//    The stack memory below the lowest limit (less LLVM's 128-byte red zone) was never
//    written, so resetting a reused instance or copying memory for a fork skips it.
//    (binaryen 132's own --stack-check pass cannot call a handler: its call is mistyped.)
// 2. The function table becomes an import (env.__indirect_function_table, still exported)
//    and gets two more entries, sandflow_sp_get and sandflow_sp_set, so the host can hand
//    it to a small wasm module of its own whose env.invoke_* and bbhost.throw_longjmp use
//    wasm exception handling: setjmp/longjmp then never leave wasm (runtimes/shell/
//    sjlj-glue.ts). The stack pointer stays a global of busybox's own (an imported
//    mutable global is slower to access). The table's size and the two entries' indices
//    go into a custom section "sandflow" (JSON).
//
//   node host-interface.mjs IN.wasm OUT.wasm
import { readFileSync, writeFileSync } from "node:fs";
import binaryen from "binaryen";

const [input, output] = process.argv.slice(2);
if (!input || !output) throw new Error("usage: node host-interface.mjs IN.wasm OUT.wasm");

const mod = binaryen.readBinary(readFileSync(input));
const SP = "__stack_pointer";
const TABLE = "__indirect_function_table";
const LIMIT = "sandflow_stack_limit";
const CHECK = "sandflow_stack_check";
const i32 = binaryen.i32;

// ---- 1. stack watch ----------------------------------------------------------
const sp = mod.getGlobal(SP);
if (!sp) throw new Error(`${input}: no ${SP} global`);
mod.addGlobal(LIMIT, i32, true, mod.i32.const(0));
mod.addGlobalExport(LIMIT, LIMIT);
mod.addFunctionImport("sandflow_stack_low", "bbhost", "stack_low", i32, binaryen.none);
mod.addFunction(
  CHECK,
  i32,
  i32,
  [],
  mod.block(
    null,
    [
      mod.if(
        mod.i32.lt_u(mod.local.get(0, i32), mod.global.get(LIMIT, i32)),
        mod.call("sandflow_stack_low", [mod.local.get(0, i32)], binaryen.none),
      ),
      mod.local.get(0, i32),
    ],
    i32,
  ),
);

// The expression kinds in LLVM's output and where their children are; anything else
// fails the build rather than being skipped.
const CHILDREN = {
  Block: ["children"],
  If: ["condition", "ifTrue", "ifFalse"],
  Loop: ["body"],
  Break: ["condition", "value"],
  Switch: ["condition", "value"],
  Call: ["operands"],
  CallIndirect: ["target", "operands"],
  LocalSet: ["value"],
  GlobalSet: ["value"],
  Load: ["ptr"],
  Store: ["ptr", "value"],
  Unary: ["value"],
  Binary: ["left", "right"],
  Select: ["ifTrue", "ifFalse", "condition"],
  Drop: ["value"],
  Return: ["value"],
  MemoryGrow: ["delta"],
  MemoryCopy: ["dest", "source", "size"],
  MemoryFill: ["dest", "value", "size"],
};
const LEAVES = new Set(["LocalGet", "GlobalGet", "Const", "Nop", "Unreachable", "MemorySize"]);
const kind = new Map(
  Object.entries(binaryen)
    .filter(([k, v]) => k.endsWith("Id") && typeof v === "number")
    .map(([k, v]) => [v, k.slice(0, -2)]),
);

let wrapped = 0;
const walk = (expr) => {
  if (!expr) return;
  const k = kind.get(binaryen.getExpressionId(expr));
  if (LEAVES.has(k)) return;
  const fields = CHILDREN[k];
  if (!fields) throw new Error(`host-interface: unexpected expression kind ${k}`);
  const info = binaryen.getExpressionInfo(expr);
  for (const f of fields) {
    const v = info[f];
    if (Array.isArray(v)) v.forEach(walk);
    else walk(v);
  }
  if (k === "GlobalSet" && info.name === SP) {
    binaryen.GlobalSet.setValue(expr, mod.call(CHECK, [info.value], i32));
    wrapped++;
  }
};
for (let i = 0; i < mod.getNumFunctions(); i++) {
  const f = binaryen.getFunctionInfo(mod.getFunctionByIndex(i));
  if (!f.module && f.name !== CHECK) walk(f.body);
}

// ---- 2. table imported, stack pointer reachable through it --------------------
const tableExport = mod.getExport(TABLE);
const tableName = tableExport && binaryen.getExportInfo(tableExport).value;
const table = tableName && mod.getTable(tableName);
if (!table) throw new Error(`${input}: no ${TABLE} table`);
const { initial, max } = binaryen.getTableInfo(table);
if (max !== undefined && max !== initial) throw new Error(`${input}: ${TABLE} can grow`);
mod.addFunction("sandflow_sp_get", binaryen.none, i32, [], mod.global.get(SP, i32));
mod.addFunction("sandflow_sp_set", i32, binaryen.none, [], mod.global.set(SP, mod.local.get(0, i32)));
mod.addActiveElementSegment(tableName, "sandflow_sp", ["sandflow_sp_get", "sandflow_sp_set"], mod.i32.const(initial));
binaryen.Table.setInitial(table, initial + 2);
binaryen.Table.setMax(table, initial + 2);
mod.addTableImport(tableName, "env", TABLE);
const layout = { tableSize: initial + 2, spGet: initial, spSet: initial + 1 };
mod.addCustomSection("sandflow", new TextEncoder().encode(JSON.stringify(layout)));

if (wrapped === 0 || !mod.validate()) throw new Error("host-interface: instrumentation failed");
binaryen.setDebugInfo(true); // keep the name section (wasm-opt strips it later)
writeFileSync(output, mod.emitBinary());
console.error(`[host-interface] ${wrapped} writes of ${SP} checked; ${JSON.stringify(layout)}`);
