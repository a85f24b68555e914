/**
 * A pool worker, assembled the same way on every platform: the dispatcher over the
 * platform's interpreter factories, the hardening of the worker's globals (always in this
 * order, so it cannot drift between platforms), and the session's message loop. The
 * worker entries (node-worker.ts, browser-worker.ts) only say how their platform loads
 * interpreters, measures memory and talks to its host.
 */
import { serializeError } from "../../src/core/errors.js";
import type { Language } from "../../src/core/languages.js";
import type { LuaWorkflowEvaluator } from "../../src/core/loaders/parse-source.js";
import type {
  SessionFromWorker,
  SessionToWorker,
  WorkerRequest,
  WorkerResponse,
} from "../../src/protocol/messages.js";
import { Dispatcher } from "./dispatcher.js";
import {
  freezeIntrinsics,
  hardenWorkerGlobals,
  resetStackTraceLimit,
  tameFunctionConstructors,
} from "./harden-worker.js";
import type { FactoryMaker } from "./interpreter-slots.js";

/** What a platform's worker entry gives the assembly. */
export interface WorkerPlatform {
  /** How this platform makes each language's interpreters (loaded on first use). */
  readonly factories: Readonly<Record<Language, FactoryMaker>>;
  /** Posts a session message to the host (captured before hardening removes the way out). */
  readonly post: (message: SessionFromWorker) => void;
  /** The worker's whole memory in bytes, as the host measures it. Default: not measured. */
  readonly memoryBytes?: () => number;
  /** Evaluates Lua workflow files sent to this worker. Default: such requests fail. */
  readonly luaEvaluator?: LuaWorkflowEvaluator;
  /** Removes the platform's own ways out of the worker, after the common ones. */
  readonly removePlatformGlobals?: () => void;
}

/** A hardened worker serving one session. */
export interface AssembledWorker {
  /** Handles one message of the session from the host. */
  receive(message: SessionToWorker): void;
  /** Runs one request outside a session (to its response). */
  handle(request: WorkerRequest): Promise<WorkerResponse>;
}

/**
 * The wall clock the host reads too (Date.now), never going back within this worker. A
 * step's times are compared with the host's (a rerun's step against the run it reruns, the
 * watchdog's timeouts); `timeOrigin + performance.now()` drifts from the wall clock while
 * the system clock is being slewed, by tens of milliseconds within a minute on a VM.
 */
function wallClock(): () => number {
  let last = 0;
  return () => {
    last = Math.max(last, Date.now());
    return last;
  };
}

/**
 * Builds the worker and hardens it: call once the worker's modules are loaded, before any
 * step (intrinsics are frozen from then on).
 */
export function assembleWorker(platform: WorkerPlatform): AssembledWorker {
  const { post } = platform;
  const dispatcher = new Dispatcher({
    factories: platform.factories,
    post: (event) => post({ kind: "event", event }),
    now: wallClock(),
    beforeStep: resetStackTraceLimit,
    ...(platform.memoryBytes ? { memoryBytes: platform.memoryBytes } : {}),
    ...(platform.luaEvaluator ? { luaEvaluator: platform.luaEvaluator } : {}),
  });
  hardenWorkerGlobals();
  platform.removePlatformGlobals?.();
  tameFunctionConstructors();
  freezeIntrinsics();
  return {
    receive(message) {
      if (message.kind === "broadcast") {
        dispatcher.onBroadcast(message.message);
        return;
      }
      if (message.kind === "ping") {
        post({ kind: "pong", id: message.id });
        return;
      }
      post({ kind: "ack", id: message.id });
      dispatcher.handle(message.request).then(
        (response) => post({ kind: "response", id: message.id, response }),
        (e: unknown) => post({ kind: "failure", id: message.id, error: serializeError(e) }),
      );
    },
    handle: (request) => dispatcher.handle(request),
  };
}
