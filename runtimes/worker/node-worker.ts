/**
 * Entry of a pool worker thread in Node. Loaded by path by piscina; host code never
 * imports it. Says how Node loads the interpreters and reads the Pyodide snapshot; the
 * assembly (worker-assembly.ts) hardens the thread and serves its session.
 */
import { closeSync, constants as fsConstants, fstatSync, openSync, readFileSync, readSync } from "node:fs";
import { constants as osConstants } from "node:os";
import { getHeapStatistics } from "node:v8";
import { type MessagePort, threadId, workerData } from "node:worker_threads";
import { loadPyodide } from "pyodide";
import type { Language } from "../../src/core/languages.js";
import type { SessionFromWorker, SessionToWorker, WorkerRequest } from "../../src/protocol/messages.js";
import { type SnapshotAllocator, sharedSnapshot } from "../../src/protocol/pyodide-snapshot.js";
import type { NodeWorkerData } from "../../src/protocol/worker-data.js";
import { wholeMemoryBytes } from "../../src/protocol/worker-memory.js";
import { createPythonRuntimeFactory } from "../python/python-runtime.js";
import type { WasmModule } from "../shell/wasm-api.js";
import { withHostGlobals } from "./harden-worker.js";
import type { LanguageRuntimeFactory } from "./language-runtime.js";
import { lazyFactory } from "./lazy-factory.js";
import { assembleWorker } from "./worker-assembly.js";

const data = (workerData ?? {}) as NodeWorkerData;

// Under the permission model process.binding is denied, but Emscripten's NODEFS setup in
// Pyodide asks it for the constants tables while loading: answer that one question.
const withBinding = process as unknown as { binding: (name: string) => unknown };
const binding = withBinding.binding.bind(process);
withBinding.binding = (name) => (name === "constants" ? { fs: fsConstants, os: osConstants } : binding(name));
// Node's network globals, removed before the hardening (which keeps the globals it removes,
// to give them back while an interpreter loads): they are lazy, and reading one loads
// Node's HTTP client, about 50 ms of every worker's start. No loader needs them in Node
// (Pyodide, wasmoon and QuickJS read their files from disk), and steps never get them.
for (const name of ["fetch", "Request", "Response", "Headers", "WebSocket", "EventSource", "FormData"])
  delete (globalThis as Record<string, unknown>)[name];

/** The snapshot once read; null when it did not load (then Python loads without it). */
let snapshot: Uint8Array | null | undefined;

/** Reads the snapshot file into room `allocate` gives; undefined while it does not exist or cannot be read. */
function readSnapshot(path: string, allocate: SnapshotAllocator): Uint8Array | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(path, "r");
    const into = allocate(fstatSync(fd).size);
    for (let at = 0; at < into.length; ) {
      const n = readSync(fd, into, at, into.length - at, at);
      if (n === 0) return undefined;
      at += n;
    }
    return into;
  } catch {
    return undefined; // missing, or outside what the pool process may read: load cold
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** The port of this worker's session: requests in; responses and events out, in order. */
let session: MessagePort | undefined;

/**
 * A factory whose modules are imported when a step of its language first needs them, with
 * the host's globals back (as they were when these imports were static).
 */
function lazy(language: Language, load: () => Promise<LanguageRuntimeFactory>): LanguageRuntimeFactory {
  return lazyFactory(language, () => withHostGlobals(load));
}

const worker = assembleWorker({
  factories: {
    python: () =>
      createPythonRuntimeFactory({
        loadPyodide: (options) => withHostGlobals(() => loadPyodide(options)),
        snapshot: async () => {
          // Read once it exists (the host makes it before the first Python run).
          const path = data.pyodideSnapshotPath;
          const share = data.snapshotShare;
          if (snapshot === undefined && path) {
            snapshot = share
              ? await sharedSnapshot(share, (allocate) => readSnapshot(path, allocate))
              : readSnapshot(path, (bytes) => new Uint8Array(bytes));
          }
          return snapshot ?? undefined;
        },
        snapshotFailed: (message) => {
          // Damaged: this worker loads Python without it from now on; the host (which may
          // write the cache, this process may not) drops the file, to be made again.
          snapshot = null;
          session?.postMessage({
            kind: "event",
            event: { type: "snapshot-failed", message },
          } satisfies SessionFromWorker);
        },
      }),
    lua: () =>
      lazy("lua", async () => {
        const [{ createLuaRuntimeFactory }, { LuaFactory }] = await Promise.all([
          import("../lua/lua-runtime.js"),
          import("wasmoon"),
        ]);
        return createLuaRuntimeFactory({
          createLuaFactory: () =>
            withHostGlobals(async () => {
              const factory = new LuaFactory();
              await factory.getLuaModule();
              return factory;
            }),
        });
      }),
    shell: () =>
      lazy("shell", async () => {
        const [{ createShellRuntimeFactory }, { busyboxWasmPath }] = await Promise.all([
          import("../shell/index.js"),
          import("../shell/node-assets.js"),
        ]);
        return createShellRuntimeFactory({
          loadWasm: async () =>
            (data.busyboxModule as WasmModule | undefined) ??
            readFileSync(data.busyboxWasmPath ?? busyboxWasmPath()),
        });
      }),
    javascript: () =>
      lazy("javascript", async () => {
        const [{ createJsRuntimeFactory }, { loadQuickJsModule }] = await Promise.all([
          import("../js/js-runtime.js"),
          import("../js/node-quickjs.js"),
        ]);
        return createJsRuntimeFactory({ loadModule: () => withHostGlobals(loadQuickJsModule) });
      }),
    wasm: () =>
      lazy("wasm", async () => (await import("../wasm/wasm-runtime.js")).createWasmRuntimeFactory()),
  },
  post: (message) => session?.postMessage(message),
  memoryBytes: () => wholeMemoryBytes(getHeapStatistics()),
});

function serve(port: MessagePort): Promise<void> {
  session = port;
  port.postMessage({ kind: "hello", threadId } satisfies SessionFromWorker);
  port.on("message", (message: SessionToWorker) => worker.receive(message));
  return new Promise((resolve) => port.once("close", () => resolve()));
}

/** piscina calls this once per worker: the session lasts as long as the worker. */
export default function handle(
  request: { type: "session"; port: MessagePort } | WorkerRequest,
): Promise<unknown> {
  if (request.type === "session") return serve(request.port);
  return worker.handle(request);
}
