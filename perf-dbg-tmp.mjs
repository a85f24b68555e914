import { loadPyodide } from "pyodide";
import { createPythonRuntimeFactory } from "/work/wt-perf/dist/runtimes/python/python-runtime.js";
const f = createPythonRuntimeFactory({ loadPyodide });
const rt = await f.create({ memoryBytes: 256 * 1048576 });
const inv = (code, runId="r1") => ({ runId, stepId: "s", attempt: 1, code, codeHash: "h"+code.length, inputsJson: "{}", env: {}, files: {}, limits: { memoryBytes: 256*1048576, outputBytes: 1e6, resultBytes: 1e6, processes: 4, workspaceBytes: 1e8 }, emit: (s,t)=>process.stdout.write(`[${s}] ${t}`), interrupted: () => false, interruptBuffer: new Int32Array(new SharedArrayBuffer(4)) });
const FS = rt; 
for (const code of ["import os\nos.environ['A']='1'\ndef run(): return 1", "import os\nos.makedirs('/workspace/sub', exist_ok=True)\ndef run(): return 1", "open('/tmp/mark','w').write('x')\ndef run(): return 1", "kept=open('/tmp/kept','w')\ndef run(): return 1", "import json\njson.loads=1\ndef run(): return 1"]) {
  console.log(JSON.stringify(code), (await rt.run(inv(code))).ok, rt.reset());
}
