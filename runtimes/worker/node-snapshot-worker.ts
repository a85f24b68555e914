/**
 * Worker thread that makes the Pyodide memory snapshot and posts its bytes to the host,
 * which stores it (src/node/pyodide-snapshot.ts). Started by the host by path, once per
 * pyodide version and prelude.
 */
import { parentPort } from "node:worker_threads";
import { loadPyodide } from "pyodide";
import { makePyodideSnapshot } from "../python/pyodide-instance.js";

const snapshot = await makePyodideSnapshot({ loadPyodide: (options) => loadPyodide(options) });
// A view of a larger buffer would be cloned whole: post exactly the snapshot's bytes.
parentPort?.postMessage(snapshot.byteLength === snapshot.buffer.byteLength ? snapshot : snapshot.slice());
