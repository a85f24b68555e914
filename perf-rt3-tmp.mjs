import { loadPyodide } from "pyodide";
import { readFileSync } from "node:fs";
const snap = new Uint8Array(readFileSync("/tmp/perf/snap.bin"));
const py = await loadPyodide({ _loadSnapshot: snap });
const m = py._module;
const img = m.HEAPU8.slice();
for (let k = 0; k < 5; k++) { const t = performance.now(); m.HEAPU8.set(img); console.log("set", (performance.now() - t).toFixed(2)); }
let n = 0; for (;;n++) { try { m.__hiwire_get(n) } catch { break } } console.log("hiwire len", n);
// how many 64K pages differ after a trivial python call
py.runPython("import random\nrandom.seed()\nx=[i for i in range(10)]");
const cur = m.HEAPU8; let diff = 0; const P = 65536;
for (let p = 0; p < img.length; p += P) { for (let j = p; j < p + P; j += 8) { if (cur[j] !== img[j]) { diff++; break; } } }
console.log("pages", img.length / P, "differing (sampled)", diff);
