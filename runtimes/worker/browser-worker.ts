/**
 * Entry of a pool worker in a browser: a dedicated module Worker started by URL (host
 * code never imports it). The page posts `init` (role and asset URLs); a pool worker is
 * then assembled as in Node (worker-assembly.ts: dispatcher, hardening, session loop), a
 * snapshot worker makes the Pyodide memory snapshot and posts it back. Steps never see the
 * page: the worker's own ways out (postMessage, fetch, storage, nested workers) are
 * captured for sandflow's use and deleted from the global scope before any step runs.
 */
import { loadPyodide, version as pyodideVersion } from "pyodide";
import { LuaFactory } from "wasmoon";
import type { LuaWorkflowEvaluator } from "../../src/core/loaders/parse-source.js";
import type { BrowserAssetUrls, PageMessage, WorkerMessage } from "../../src/protocol/browser-wire.js";
import { pyodideSnapshotKey } from "../../src/protocol/pyodide-snapshot.js";
import { loadBrowserQuickJsModule } from "../js/browser-quickjs.js";
import { createJsRuntimeFactory } from "../js/js-runtime.js";
import { createLuaRuntimeFactory } from "../lua/lua-runtime.js";
import { createLuaWorkflowEvaluator } from "../lua/workflow-evaluator.js";
import { makePyodideSnapshot } from "../python/pyodide-instance.js";
import { createPythonRuntimeFactory } from "../python/python-runtime.js";
import { createWasmRuntimeFactory } from "../wasm/wasm-runtime.js";
import { withHostGlobals } from "./harden-worker.js";
import type { LanguageRuntimeFactory } from "./language-runtime.js";
import { lazyFactory } from "./lazy-factory.js";
import { type AssembledWorker, assembleWorker } from "./worker-assembly.js";

interface WorkerScope {
  postMessage(message: unknown): void;
  addEventListener(type: "message", listener: (event: MessageEvent) => void): void;
}

const scope = globalThis as unknown as WorkerScope;
const post: (message: WorkerMessage) => void = scope.postMessage.bind(scope);
const hostFetch: typeof fetch = fetch.bind(globalThis);

/** The snapshot's cache key: the pyodide version and the prelude the snapshot holds. */
async function snapshotKey(): Promise<string> {
  return pyodideSnapshotKey(pyodideVersion);
}

/**
 * Browser ways out of a worker, removed for good (hardenWorkerGlobals handles the network
 * ones). importScripts stays: it throws in module workers, and Emscripten looks for it to
 * know it runs in a worker.
 */
const BROWSER_REMOVED = [
  "postMessage",
  "close",
  "indexedDB",
  "caches",
  "Worker",
  "SharedWorker",
  "BroadcastChannel",
  "WebTransport",
  "WebSocketStream",
  "fetchLater",
  "cookieStore",
];

function removeBrowserGlobals(): void {
  const g = globalThis as Record<string, unknown>;
  for (const name of BROWSER_REMOVED) {
    if (!(name in g)) continue;
    try {
      delete g[name];
    } catch {
      // Non-configurable: shadowed below.
    }
    if (name in g) Object.defineProperty(g, name, { value: undefined, configurable: false, writable: false });
  }
  // Own, read-only: a step cannot listen to the requests of later runs.
  for (const name of ["onmessage", "addEventListener"])
    Object.defineProperty(g, name, { value: undefined, configurable: false, writable: false });
}

let snapshot: Promise<Uint8Array | undefined> | undefined;
let answerSnapshot: ((bytes: Uint8Array | undefined) => void) | undefined;

function requestSnapshot(): Promise<Uint8Array | undefined> {
  snapshot ??= snapshotKey().then(
    (key) =>
      new Promise((resolve) => {
        answerSnapshot = resolve;
        post({ kind: "need-snapshot", key });
      }),
  );
  return snapshot;
}

/**
 * A snapshot that did not load (a damaged cache entry) is dropped: this worker loads cold
 * from then on, and the page forgets the entry.
 */
function snapshotFailed(message: string): void {
  snapshot = Promise.resolve(undefined);
  void snapshotKey().then((key) => post({ kind: "snapshot-failed", key, message }));
}

async function fetchBytes(url: string, what: string): Promise<Uint8Array> {
  const response = await hostFetch(url);
  if (!response.ok) throw new Error(`could not load ${what} from ${url}: HTTP ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}

function shellFactory(assets: BrowserAssetUrls): LanguageRuntimeFactory {
  return lazyFactory("shell", () =>
    import("../shell/index.js").then((m) =>
      m.createShellRuntimeFactory({ loadWasm: () => fetchBytes(assets.busyboxWasmURL, "busybox.wasm") }),
    ),
  );
}

/** Evaluates Lua workflow files here, in this worker, with wasmoon loaded while the host globals are back. */
function workflowEvaluator(assets: BrowserAssetUrls): LuaWorkflowEvaluator {
  let factory: Promise<LuaFactory> | undefined;
  return {
    async evaluate(source, label) {
      factory ??= withHostGlobals(async () => {
        const f = new LuaFactory(assets.luaWasmURL);
        await f.getLuaModule();
        return f;
      });
      const loaded = await factory;
      return createLuaWorkflowEvaluator(() => loaded).evaluate(source, label);
    },
  };
}

async function makeSnapshot(assets: BrowserAssetUrls): Promise<void> {
  try {
    const bytes = await makePyodideSnapshot({
      loadPyodide: (options) => loadPyodide(options),
      indexURL: assets.pyodideIndexURL,
    });
    post({ kind: "snapshot-made", key: await snapshotKey(), bytes });
  } catch (e) {
    post({
      kind: "fatal",
      message: `the Pyodide snapshot failed: ${e instanceof Error ? e.message : String(e)}`,
    });
  }
}

let worker: AssembledWorker | undefined;

function start(assets: BrowserAssetUrls, useSnapshot: boolean): void {
  worker = assembleWorker({
    factories: {
      python: () =>
        createPythonRuntimeFactory({
          loadPyodide: (options) => withHostGlobals(() => loadPyodide(options)),
          indexURL: assets.pyodideIndexURL,
          ...(useSnapshot ? { snapshot: requestSnapshot, snapshotFailed } : {}),
        }),
      lua: () =>
        createLuaRuntimeFactory({
          createLuaFactory: () =>
            withHostGlobals(async () => {
              const factory = new LuaFactory(assets.luaWasmURL);
              await factory.getLuaModule();
              return factory;
            }),
        }),
      shell: () => shellFactory(assets),
      javascript: () =>
        createJsRuntimeFactory({
          loadModule: () => withHostGlobals(() => loadBrowserQuickJsModule(assets.quickjsWasmURL)),
        }),
      wasm: createWasmRuntimeFactory,
    },
    post,
    luaEvaluator: workflowEvaluator(assets),
    removePlatformGlobals: removeBrowserGlobals,
  });
  post({ kind: "ready" });
}

scope.addEventListener("message", (event: MessageEvent) => {
  const message = event.data as PageMessage;
  if (message.kind === "snapshot") {
    answerSnapshot?.(message.bytes instanceof Uint8Array ? message.bytes : undefined);
    answerSnapshot = undefined;
  } else if (message.kind === "init") {
    if (worker) return;
    if (message.role === "snapshot") void makeSnapshot(message.assets);
    else start(message.assets, message.useSnapshot);
  } else if (message.kind === "ping") {
    // Answered before the worker is ready too: its event loop runs.
    post({ kind: "pong", id: message.id });
  } else worker?.receive(message);
});
