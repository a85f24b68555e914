/**
 * Hardening of a worker's JavaScript globals before any step runs: network and process
 * globals are removed, so a step that reaches JavaScript (through a Pyodide proxy, say)
 * finds nothing to talk to the host with. Interpreter loading needs a few of them back
 * for a moment; {@link withHostGlobals} restores them while no step runs.
 */

const REMOVED = [
  "fetch",
  "WebSocket",
  "EventSource",
  "XMLHttpRequest",
  "Request",
  "Response",
  "Headers",
  "navigator",
  "require",
  "module",
  "global",
  "Buffer",
] as const;

const saved = new Map<string, PropertyDescriptor>();
let hardened = false;

const quietStream = Object.freeze({
  writableLength: 0,
  write: (_chunk: unknown, done?: () => void) => {
    done?.();
    return true;
  },
});
// The pool library reads process.stdout/stderr between tasks; steps that reach JavaScript
// find this stand-in instead of the real process object.
const PROCESS_STAND_IN = Object.freeze({ env: Object.freeze({}), stdout: quietStream, stderr: quietStream });

/**
 * Makes the constructors of every kind of function unreachable from function objects, so
 * code that gets hold of any JavaScript function (through a Pyodide proxy, say) cannot
 * turn a string into code with `fn.constructor("...")`. Once per worker.
 */
export function tameFunctionConstructors(): void {
  const kinds = [() => {}, async () => {}, function* () {}, async function* () {}];
  for (const fn of kinds) {
    const proto = Object.getPrototypeOf(fn) as object;
    const current = Object.getOwnPropertyDescriptor(proto, "constructor");
    if (current && !current.configurable) continue;
    Object.defineProperty(proto, "constructor", {
      value: undefined,
      writable: false,
      configurable: false,
      enumerable: false,
    });
  }
}

/** Removes the host-facing globals from this worker. Idempotent. */
export function hardenWorkerGlobals(): void {
  const g = globalThis as Record<string, unknown>;
  const processDescriptor = Object.getOwnPropertyDescriptor(g, "process");
  if (processDescriptor && !saved.has("process")) saved.set("process", processDescriptor);
  Object.defineProperty(g, "process", {
    value: PROCESS_STAND_IN,
    configurable: true,
    writable: false,
    enumerable: false,
  });
  for (const name of REMOVED) {
    const descriptor = Object.getOwnPropertyDescriptor(g, name);
    if (!descriptor) continue;
    if (!saved.has(name)) saved.set(name, descriptor);
    try {
      delete g[name];
    } catch {
      // Non-configurable in some hosts: overwrite instead.
      g[name] = undefined;
    }
  }
  hardened = true;
}

/** Runs `body` with the removed globals back (interpreters probe them while loading). */
export async function withHostGlobals<T>(body: () => Promise<T>): Promise<T> {
  if (!hardened) return body();
  for (const [name, descriptor] of saved) Object.defineProperty(globalThis, name, descriptor);
  try {
    return await body();
  } finally {
    hardenWorkerGlobals();
  }
}
