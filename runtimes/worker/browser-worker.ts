/**
 * Entry of a pool worker in a browser: a dedicated module Worker started by URL (host
 * code never imports it). The page posts `init` (role and asset URLs); a pool worker then
 * hardens its globals and serves requests through the dispatcher, a snapshot worker makes
 * the Pyodide memory snapshot and posts it back. Steps never see the page: the worker's
 * own ways out (postMessage, fetch, storage, nested workers) are captured for sandflow's
 * use and deleted from the global scope before any step runs.
 */
import { loadPyodide, version as pyodideVersion } from "pyodide";
import { LuaFactory } from "wasmoon";
import { hashString } from "../../src/core/hash.js";
import type { BrowserAssetUrls, PageMessage, WorkerMessage } from "../../src/pool/browser/wire.js";
import type { WorkerRequest } from "../../src/protocol/messages.js";
import { createLuaRuntimeFactory } from "../lua/lua-runtime.js";
import { makePyodideSnapshot } from "../python/pyodide-instance.js";
import { PYTHON_PRELUDE } from "../python/python-prelude.js";
import { createPythonRuntimeFactory } from "../python/python-runtime.js";
import { Dispatcher } from "./dispatcher.js";
import { hardenWorkerGlobals, tameFunctionConstructors, withHostGlobals } from "./harden-worker.js";
import type { LanguageRuntimeFactory } from "./language-runtime.js";

interface WorkerScope {
  postMessage(message: unknown): void;
  addEventListener(type: "message", listener: (event: MessageEvent) => void): void;
}

const scope = globalThis as unknown as WorkerScope;
const post: (message: WorkerMessage) => void = scope.postMessage.bind(scope);
const hostFetch: typeof fetch = fetch.bind(globalThis);
const SNAPSHOT_KEY = `pyodide-${pyodideVersion}-${hashString(PYTHON_PRELUDE)}`;

/** Browser ways out of a worker, removed for good (hardenWorkerGlobals handles the network ones). */
const BROWSER_REMOVED = [
  "postMessage",
  "importScripts",
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
  snapshot ??= new Promise((resolve) => {
    answerSnapshot = resolve;
    post({ kind: "need-snapshot", key: SNAPSHOT_KEY });
  });
  return snapshot;
}

async function fetchBytes(url: string, what: string): Promise<Uint8Array> {
  const response = await hostFetch(url);
  if (!response.ok) throw new Error(`could not load ${what} from ${url}: HTTP ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}

function shellFactory(assets: BrowserAssetUrls): LanguageRuntimeFactory {
  let inner: Promise<LanguageRuntimeFactory> | undefined;
  return {
    language: "shell",
    create: async (options) => {
      inner ??= import("../shell/index.js").then((m) =>
        m.createShellRuntimeFactory({ loadWasm: () => fetchBytes(assets.busyboxWasmURL, "busybox.wasm") }),
      );
      return (await inner).create(options);
    },
  };
}

function createDispatcher(assets: BrowserAssetUrls, useSnapshot: boolean): Dispatcher {
  return new Dispatcher({
    factories: {
      python: () =>
        createPythonRuntimeFactory({
          loadPyodide: (options) => withHostGlobals(() => loadPyodide(options)),
          indexURL: assets.pyodideIndexURL,
          ...(useSnapshot ? { snapshot: requestSnapshot } : {}),
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
    },
    post: (event) => post({ kind: "event", event }),
    now: () => performance.timeOrigin + performance.now(),
  });
}

async function serve(dispatcher: Dispatcher, id: number, request: WorkerRequest): Promise<void> {
  try {
    post({ kind: "response", id, response: await dispatcher.handle(request) });
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    post({ kind: "response", id, response: { type: "failed", error: { name: "WorkerError", message } } });
  }
}

async function makeSnapshot(assets: BrowserAssetUrls): Promise<void> {
  try {
    const bytes = await makePyodideSnapshot({
      loadPyodide: (options) => loadPyodide(options),
      indexURL: assets.pyodideIndexURL,
    });
    post({ kind: "snapshot-made", key: SNAPSHOT_KEY, bytes });
  } catch (e) {
    post({
      kind: "fatal",
      message: `the Pyodide snapshot failed: ${e instanceof Error ? e.message : String(e)}`,
    });
  }
}

let dispatcher: Dispatcher | undefined;

scope.addEventListener("message", (event: MessageEvent) => {
  const message = event.data as PageMessage;
  if (message.kind === "request") {
    if (dispatcher) void serve(dispatcher, message.id, message.request);
  } else if (message.kind === "snapshot") {
    answerSnapshot?.(message.bytes instanceof Uint8Array ? message.bytes : undefined);
    answerSnapshot = undefined;
  } else if (message.kind === "init" && !dispatcher) {
    if (message.role === "snapshot") {
      void makeSnapshot(message.assets);
      return;
    }
    dispatcher = createDispatcher(message.assets, message.useSnapshot);
    hardenWorkerGlobals();
    removeBrowserGlobals();
    tameFunctionConstructors();
    post({ kind: "ready" });
  }
});
