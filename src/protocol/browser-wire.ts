/**
 * The envelope between the page and its module Workers: the session messages of Node's
 * workers (messages.ts) plus what a browser worker needs besides. The page posts `init`
 * first, then the session's requests, pings and broadcasts; a worker posts `ready` once it
 * can serve, then the session's acks, responses, events and pongs, and asks for the Pyodide
 * snapshot by key. No zod here: the worker imports it,
 * and the pool validates what a response or event carries.
 */
import type { SessionFromWorker, SessionToWorker } from "./messages.js";

/** Where a worker loads the interpreters from (absolute URLs on the page's origin). */
export interface BrowserAssetUrls {
  /** Folder holding pyodide.asm.mjs, pyodide.asm.wasm, python_stdlib.zip and pyodide-lock.json (ends with `/`). */
  readonly pyodideIndexURL: string;
  /** wasmoon's glue.wasm. */
  readonly luaWasmURL: string;
  /** sandflow's busybox.wasm. */
  readonly busyboxWasmURL: string;
  /** QuickJS's emscripten-module.wasm, for JavaScript steps. */
  readonly quickjsWasmURL: string;
}

/** What a worker is for: serving steps, or making the Pyodide snapshot once and stopping. */
export type WorkerRole = "pool" | "snapshot";

/** Page to worker. */
export type PageMessage =
  | {
      readonly kind: "init";
      readonly role: WorkerRole;
      readonly assets: BrowserAssetUrls;
      /** Ask the page for a Pyodide memory snapshot before loading Python. */
      readonly useSnapshot: boolean;
    }
  /** The session's requests, broadcasts and pings, as in Node. */
  | SessionToWorker
  | { readonly kind: "snapshot"; readonly key: string; readonly bytes: Uint8Array | undefined };

/** Worker to page. */
export type WorkerMessage =
  | { readonly kind: "ready" }
  /** The session's acks, responses, failures, events and pongs, as in Node. */
  | SessionFromWorker
  | { readonly kind: "need-snapshot"; readonly key: string }
  | { readonly kind: "snapshot-made"; readonly key: string; readonly bytes: Uint8Array }
  /** The snapshot it was given did not load (the worker went on without it). */
  | { readonly kind: "snapshot-failed"; readonly key: string; readonly message: string }
  | { readonly kind: "fatal"; readonly message: string };

/** Where workers get the Pyodide snapshot from. */
export interface SnapshotSource {
  /** The snapshot for `key`, made if needed; undefined when there is none (Python loads cold). */
  get(key: string): Promise<Uint8Array | undefined>;
  /** Forgets a snapshot that did not load, so the next page load makes a new one. */
  discard(key: string): void;
}

/** True when `data` has the shape of a {@link WorkerMessage} kind (fields checked by the receiver). */
export function isWorkerMessage(data: unknown): data is WorkerMessage {
  if (typeof data !== "object" || data === null) return false;
  const kind = (data as { kind?: unknown }).kind;
  return (
    kind === "ready" ||
    kind === "ack" ||
    kind === "pong" ||
    kind === "response" ||
    kind === "failure" ||
    kind === "event" ||
    kind === "need-snapshot" ||
    kind === "snapshot-made" ||
    kind === "snapshot-failed" ||
    kind === "fatal"
  );
}
