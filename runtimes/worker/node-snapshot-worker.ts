/**
 * Worker thread that makes the Pyodide memory snapshot and writes it atomically to the
 * path it is given. Started by the host by path, once per pyodide version and prelude.
 */
import { renameSync, writeFileSync } from "node:fs";
import { parentPort, workerData } from "node:worker_threads";
import { loadPyodide } from "pyodide";
import { makePyodideSnapshot } from "../python/pyodide-instance.js";

const { path } = workerData as { path: string };
const snapshot = await makePyodideSnapshot({ loadPyodide: (options) => loadPyodide(options) });
const tmp = `${path}.${process.pid}.${Date.now()}.tmp`;
writeFileSync(tmp, snapshot);
renameSync(tmp, path);
parentPort?.postMessage({ bytes: snapshot.byteLength });
