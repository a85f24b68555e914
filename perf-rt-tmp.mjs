import { loadPyodide } from "pyodide";
import { createPythonRuntimeFactory } from "/work/wt-perf/dist/runtimes/python/python-runtime.js";
import { readFileSync } from "node:fs";
const snap = new Uint8Array(readFileSync("/tmp/perf/snap.bin"));
const f = createPythonRuntimeFactory({ loadPyodide, snapshot: async () => snap });
const rt = await f.create({ memoryBytes: 512 * 1048576 });
const inv = (code, runId="r1") => ({ runId, stepId: "s", attempt: 1, code, codeHash: "h"+code.length, inputsJson: "{}", env: {}, files: {}, limits: { memoryBytes: 512*1048576, outputBytes: 1e6, resultBytes: 1e6, processes: 4, workspaceBytes: 1e8 }, emit: (s,t)=>process.stdout.write(`[${s}] ${t}`), interrupted: () => false, interruptBuffer: new Int32Array(new SharedArrayBuffer(4)) });
console.log(await rt.run(inv("import random\nx = 5\ndef run():\n    global y\n    y = 7\n    print('hi')\n    return random.random()")));
for (let i = 0; i < 5; i++) { const a = performance.now(); const ok = rt.reset(); console.log("reset", ok, (performance.now() - a).toFixed(2), "ms");
console.log(await rt.run(inv("import random, sys\ndef run():\n    return [random.random(), 'y' in globals(), 'x' in globals(), len(sys.modules)]", "r2"))); }
