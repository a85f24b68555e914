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
import type { LuaWorkflowEvaluator } from "../../src/core/loaders/parse-source.js";
import type { BrowserAssetUrls, PageMessage, WorkerMessage } from "../../src/protocol/browser-wire.js";
import type { WorkerRequest } from "../../src/protocol/messages.js";
import { pyodideSnapshotKey } from "../../src/protocol/pyodide-snapshot.js";
import { loadBrowserQuickJsModule } from "../js/browser-quickjs.js";
import { createJsRuntimeFactory } from "../js/js-runtime.js";
import { createLuaRuntimeFactory } from "../lua/lua-runtime.js";
import { createLuaWorkflowEvaluator } from "../lua/workflow-evaluator.js";
import { makePyodideSnapshot } from "../python/pyodide-instance.js";
import { createPythonRuntimeFactory } from "../python/python-runtime.js";
import { createWasmRuntimeFactory } from "../wasm/wasm-runtime.js";
import { Dispatcher } from "./dispatcher.js";
import {
  hardenWorkerGlobals,
  resetStackTraceLimit,
  tameFunctionConstructors,
  withHostGlobals,
} from "./harden-worker.js";
import type { LanguageRuntime, LanguageRuntimeFactory, RuntimeCreateOptions } from "./language-runtime.js";

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

/** Milliseconds a worker waits idle before making the next Python interpreter. */
const IDLE_MS = 500;

/**
 * A factory that keeps one interpreter made ahead. Runs never share an interpreter, so
 * each run's first step on a worker needs a fresh one (about half a second from the
 * snapshot); made while the worker is idle, the next run finds it ready.
 */
class SpareFactory implements LanguageRuntimeFactory {
  readonly language: LanguageRuntimeFactory["language"];
  readonly memoryFixedAtCreate: boolean;
  readonly #inner: LanguageRuntimeFactory;
  #spare: { readonly memoryBytes: number; readonly runtime: Promise<LanguageRuntime> } | undefined;
  #lastMemoryBytes: number | undefined;

  constructor(inner: LanguageRuntimeFactory) {
    this.#inner = inner;
    this.language = inner.language;
    this.memoryFixedAtCreate = inner.memoryFixedAtCreate === true;
  }

  async create(options?: RuntimeCreateOptions): Promise<LanguageRuntime> {
    const memoryBytes = options?.memoryBytes ?? 512 * 1048576;
    this.#lastMemoryBytes = memoryBytes;
    const spare = this.#spare;
    this.#spare = undefined;
    if (spare?.memoryBytes === memoryBytes) {
      const runtime = await spare.runtime.catch(() => undefined);
      if (runtime) return runtime;
    } else if (spare)
      void spare.runtime.then(
        (r) => r.dispose(),
        () => {},
      );
    return this.#inner.create(options);
  }

  /** Makes the next interpreter, if this factory was used and none is waiting. */
  async warm(): Promise<void> {
    const memoryBytes = this.#lastMemoryBytes;
    if (this.#spare || memoryBytes === undefined) return;
    const runtime = this.#inner.create({ memoryBytes });
    this.#spare = { memoryBytes, runtime };
    await runtime.catch(() => {
      if (this.#spare?.runtime === runtime) this.#spare = undefined;
    });
  }
}

function createDispatcher(assets: BrowserAssetUrls, python: SpareFactory): Dispatcher {
  return new Dispatcher({
    factories: {
      python: () => python,
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
    post: (event) => post({ kind: "event", event }),
    now: () => performance.timeOrigin + performance.now(),
    beforeStep: resetStackTraceLimit,
    luaEvaluator: workflowEvaluator(assets),
  });
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
    post({ kind: "snapshot-made", key: await snapshotKey(), bytes });
  } catch (e) {
    post({
      kind: "fatal",
      message: `the Pyodide snapshot failed: ${e instanceof Error ? e.message : String(e)}`,
    });
  }
}

let pool: { readonly dispatcher: Dispatcher; readonly python: SpareFactory } | undefined;
// One job at a time: interpreter loads swap globals (withHostGlobals, WebAssembly), so a
// step must never run while one is in progress.
let jobs: Promise<void> = Promise.resolve();
let pending = 0;
let idleTimer: ReturnType<typeof setTimeout> | undefined;

/** Runs `job` after the jobs before it; a served request arms the idle timer that warms Python. */
function enqueue(job: () => Promise<void>, isRequest: boolean): void {
  pending++;
  clearTimeout(idleTimer);
  jobs = jobs.then(job).finally(() => {
    if (--pending === 0 && isRequest && pool) {
      const python = pool.python;
      idleTimer = setTimeout(() => enqueue(() => python.warm(), false), IDLE_MS);
    }
  });
}

function start(assets: BrowserAssetUrls, useSnapshot: boolean): void {
  const python = new SpareFactory(
    createPythonRuntimeFactory({
      loadPyodide: (options) => withHostGlobals(() => loadPyodide(options)),
      indexURL: assets.pyodideIndexURL,
      ...(useSnapshot ? { snapshot: requestSnapshot, snapshotFailed } : {}),
    }),
  );
  pool = { dispatcher: createDispatcher(assets, python), python };
  hardenWorkerGlobals();
  removeBrowserGlobals();
  tameFunctionConstructors();
  post({ kind: "ready" });
}

scope.addEventListener("message", (event: MessageEvent) => {
  const message = event.data as PageMessage;
  if (message.kind === "request") {
    const dispatcher = pool?.dispatcher;
    if (dispatcher) {
      post({ kind: "ack", id: message.id });
      enqueue(() => serve(dispatcher, message.id, message.request), true);
    }
  } else if (message.kind === "ping") {
    post({ kind: "pong", id: message.id });
  } else if (message.kind === "snapshot") {
    answerSnapshot?.(message.bytes instanceof Uint8Array ? message.bytes : undefined);
    answerSnapshot = undefined;
  } else if (message.kind === "init" && !pool) {
    if (message.role === "snapshot") void makeSnapshot(message.assets);
    else start(message.assets, message.useSnapshot);
  }
});
