import { readFileSync, writeFileSync } from "node:fs";
import v8 from "node:v8";
const R = "/work/wt-perfstep/dist";
const sh = await import(R + "/runtimes/shell/index.js");
const { busyboxWasmPath } = await import(R + "/runtimes/shell/node-assets.js");
const f = sh.createShellRuntimeFactory({ loadWasm: async () => readFileSync(busyboxWasmPath()) });
const rt = await f.create();
const LIMITS = { memoryBytes: 256*1048576, outputBytes: 1048576, resultBytes: 16*1048576, processes: 64, workspaceBytes: 64*1048576 };
const sab = new Int32Array(new SharedArrayBuffer(64));
const inv = (i) => ({ runId: "r1", stepId: "s" + i, attempt: 1, code: "echo 1", codeHash: "h", inputsJson: "{}", env: {}, files: {}, limits: LIMITS, emit: () => {}, interrupted: () => false, interruptBuffer: sab.subarray(2,3) });
for (let i = 0; i < 1000; i++) await rt.run(inv(i));
const file = v8.writeHeapSnapshot("/tmp/pexp/sh.heapsnapshot");
const snap = JSON.parse(readFileSync(file, "utf8"));
const m = snap.snapshot.meta; const F = m.node_fields.length; const types = m.node_types[0];
const counts = new Map();
for (let i = 0; i < snap.nodes.length; i += F) { const t = types[snap.nodes[i]]; if (t !== "object") continue; const name = snap.strings[snap.nodes[i + 1]]; counts.set(name, (counts.get(name) ?? 0) + 1); }
for (const n of ["Process", "Kernel", "OutputCapture", "OutputSink", "OpenDevice", "RootDir", "MemDir", "MemFile", "Slot", "StreamHandle", "Pipe"]) console.log(n, counts.get(n));
process.exit(0);
