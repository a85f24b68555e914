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
  resetStackTraceLimit();
  try {
    return await body();
  } finally {
    hardenWorkerGlobals();
  }
}

/** Standard built-ins whose prototypes and static members a step must not change. */
const INTRINSIC_NAMES = [
  "Object",
  "Function",
  "Array",
  "Number",
  "Boolean",
  "String",
  "Symbol",
  "BigInt",
  "Error",
  "EvalError",
  "RangeError",
  "ReferenceError",
  "SyntaxError",
  "TypeError",
  "URIError",
  "AggregateError",
  "Promise",
  "RegExp",
  "Date",
  "Map",
  "Set",
  "WeakMap",
  "WeakSet",
  "WeakRef",
  "FinalizationRegistry",
  "ArrayBuffer",
  "SharedArrayBuffer",
  "DataView",
  "Int8Array",
  "Uint8Array",
  "Uint8ClampedArray",
  "Int16Array",
  "Uint16Array",
  "Int32Array",
  "Uint32Array",
  "Float32Array",
  "Float64Array",
  "BigInt64Array",
  "BigUint64Array",
  "JSON",
  "Math",
  "Reflect",
  "Atomics",
  "TextEncoder",
  "TextDecoder",
] as const;

/**
 * Makes a frozen object's data property assignable on objects that inherit it (the
 * "override mistake": `Derived.prototype.constructor = Derived` must keep working when
 * the base prototype is frozen), by turning it into a getter/setter pair.
 */
function allowOverride(obj: object, key: PropertyKey): void {
  const d = Object.getOwnPropertyDescriptor(obj, key);
  if (!d || !("value" in d) || !d.configurable) return;
  const value = d.value as unknown;
  Object.defineProperty(obj, key, {
    get: () => value,
    set(this: unknown, next: unknown) {
      if (this === obj)
        throw new TypeError(`Cannot assign to read only property '${String(key)}' of a frozen built-in`);
      Object.defineProperty(this as object, key, {
        value: next,
        writable: true,
        enumerable: true,
        configurable: true,
      });
    },
    enumerable: d.enumerable ?? false,
    configurable: false,
  });
}

/**
 * Names that code commonly assigns on objects inheriting them from a built-in prototype,
 * per prototype. Only where it is needed: an accessor costs, e.g. one on
 * Array.prototype.constructor turns off V8's species fast paths for every array method
 * (measured 28x slower), while a plain freeze costs nothing. Object.prototype's
 * `constructor` is assigned by Emscripten/Pyodide code; errors are subclassed the old way.
 */
const ERROR_KEYS = ["constructor", "name", "message", "toString"];
const OVERRIDABLE: Readonly<Record<string, readonly string[]>> = {
  Object: ["constructor", "toString", "valueOf", "toLocaleString"],
  Function: ["toString"],
  Error: ERROR_KEYS,
  EvalError: ERROR_KEYS,
  RangeError: ERROR_KEYS,
  ReferenceError: ERROR_KEYS,
  SyntaxError: ERROR_KEYS,
  TypeError: ERROR_KEYS,
  URIError: ERROR_KEYS,
  AggregateError: ERROR_KEYS,
};

function lock(value: unknown, seen: Set<unknown>, overridable: readonly string[] = []): void {
  if ((typeof value !== "object" && typeof value !== "function") || value === null || seen.has(value)) return;
  seen.add(value);
  for (const key of overridable) allowOverride(value, key);
  Object.freeze(value);
}

/**
 * Freezes the prototypes of this worker's standard built-ins (and the iterator,
 * generator and async-function prototypes) and the static members of their
 * constructors, so a step that reaches JavaScript objects (any Pyodide proxy leads to
 * Object and Array) cannot change them for other steps or runs: no new properties on
 * Object.prototype, no replaced Array.prototype.push, no Error.prepareStackTrace. The
 * constructors themselves stay extensible (Emscripten tags some built-in functions).
 * Call after the worker's modules are loaded and before any step.
 */
export function freezeIntrinsics(): void {
  const g = globalThis as Record<string, unknown>;
  const seen = new Set<unknown>();
  // V8 reads these from Error: lock them so no step can format another's stack traces.
  // Pyodide sets Error.stackTraceLimit itself, so that one stays writable: the worker
  // puts it back before every step and load ({@link resetStackTraceLimit}).
  for (const key of ["prepareStackTrace"]) {
    const d = Object.getOwnPropertyDescriptor(Error, key);
    if (d && !d.configurable) continue;
    Object.defineProperty(Error, key, {
      value: d?.value,
      writable: false,
      configurable: false,
      enumerable: false,
    });
  }
  for (const name of INTRINSIC_NAMES) {
    const ctor = g[name] as object | undefined;
    if (ctor === undefined) continue;
    if (typeof ctor === "function") {
      lock((ctor as { prototype?: unknown }).prototype, seen, OVERRIDABLE[name]);
      for (const key of Reflect.ownKeys(ctor)) {
        const d = Object.getOwnPropertyDescriptor(ctor, key);
        if (d?.configurable && "value" in d && key !== "stackTraceLimit")
          Object.defineProperty(ctor, key, { ...d, writable: false, configurable: false });
      }
    } else lock(ctor, seen);
  }
  const typedArray = Object.getPrototypeOf(Uint8Array) as { prototype: unknown };
  lock(typedArray.prototype, seen);
  const generators = [function* () {}, async function* () {}] as unknown as { prototype?: object }[];
  for (const fn of [...generators, async () => {}]) lock(Object.getPrototypeOf(fn), seen);
  for (const fn of generators) if (fn.prototype) lock(Object.getPrototypeOf(fn.prototype), seen);
  for (const it of [
    [][Symbol.iterator](),
    new Map().entries(),
    new Set().values(),
    ""[Symbol.iterator](),
    /x/[Symbol.matchAll]("x"),
  ]) {
    lock(Object.getPrototypeOf(it), seen);
    lock(Object.getPrototypeOf(Object.getPrototypeOf(it)), seen);
  }
}

/** V8's default stack depth: restored before each step and interpreter load, whatever a step set. */
export function resetStackTraceLimit(): void {
  (Error as unknown as { stackTraceLimit: number }).stackTraceLimit = 10;
}
