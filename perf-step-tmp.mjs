import { loadPyodide } from "pyodide";
import { createPythonRuntimeFactory } from "/work/wt-perf/dist/runtimes/python/python-runtime.js";
const f = createPythonRuntimeFactory({ loadPyodide });
const rt = await f.create({ memoryBytes: 256 * 1048576 });
const buf = new Int32Array(new SharedArrayBuffer(4));
const inv = { runId: "r", stepId: "s", attempt: 1, code: "def run():\n    return 1\n", codeHash: "h", inputsJson: "{}", env: {}, files: {}, limits: { memoryBytes: 256*1048576, outputBytes: 1e6, resultBytes: 1e6, processes: 4, workspaceBytes: 1e8 }, emit: ()=>{}, interrupted: () => false, interruptBuffer: buf };
for (let r = 0; r < 4; r++) { const n = 20000; const a = performance.now(); for (let i = 0; i < n; i++) await rt.run(inv); console.log("us/step", ((performance.now() - a) * 1000 / n).toFixed(1)); }
