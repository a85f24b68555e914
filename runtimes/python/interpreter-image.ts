/**
 * A loaded, hardened Pyodide interpreter's state, kept so the interpreter can be put back
 * into it after a run instead of loading Pyodide again (about 200 ms of JavaScript glue:
 * instantiation, dynamic linking, the snapshot restore, hardening).
 *
 * What an interpreter is: its wasm linear memory (all of CPython's state), the hiwire
 * table (the JavaScript values wasm refers to by index; its bookkeeping is in linear
 * memory), the function table, the wasm globals (only the stack pointer, back at its base
 * whenever no call is under way), and the JavaScript side of Emscripten's file system.
 * A restore copies the memory image back and zeroes the rest, writes the hiwire table back
 * as it was, and checks that the rest is as it was; where it is not (a step wrote outside
 * the workspace, left a descriptor in another state, loaded code into the function table),
 * the restore refuses and the caller loads a fresh interpreter instead.
 */

import { MemoryPages } from "./memory-pages.js";

/** How long after it is taken an image's memory copy is scanned into its compact form. */
const COMPACT_DELAY_MS = 200;

/** The parts of Pyodide's Emscripten module used here. */
interface PyodideModule {
  HEAPU8: Uint8Array;
  wasmTable: WebAssembly.Table;
  __hiwire_get(index: number): unknown;
  __hiwire_set(index: number, value: unknown): number;
  finalizationRegistry: {
    register(target: object, held: unknown, token?: object): void;
    unregister(token: object): boolean;
  };
  FS: EmscriptenFsState;
}

interface FsNode {
  mode: number;
  mtime?: unknown;
  ctime?: unknown;
  timestamp?: unknown;
  usedBytes?: number;
  contents?: unknown;
  link?: string;
  uid?: number;
  gid?: number;
}

interface EmscriptenFsState {
  streams: (object | null | undefined)[];
  readdir(path: string): string[];
  lookupPath(path: string, opts: { follow: boolean }): { node: FsNode };
  isDir(mode: number): boolean;
  close(stream: object): void;
  chdir(path: string): void;
  cwd(): string;
}

/**
 * Folders whose content is not compared: the workspace (emptied after a restore) and the
 * devices. The folders themselves are (a run that replaced /workspace by a link is refused).
 */
const SKIP = new Set(["/tmp", "/workspace", "/dev", "/proc"]);

/** One entry of the file system outside the workspace, as it was. */
type FsEntry = readonly [
  node: FsNode,
  mode: number,
  stamp: unknown,
  bytes: unknown,
  contents: unknown,
  link: unknown,
];

function fsEntries(FS: EmscriptenFsState): Map<string, FsEntry> {
  const out = new Map<string, FsEntry>();
  const walk = (dir: string) => {
    for (const name of FS.readdir(dir)) {
      if (name === "." || name === "..") continue;
      const path = dir === "/" ? `/${name}` : `${dir}/${name}`;
      const node = FS.lookupPath(path, { follow: false }).node;
      if (SKIP.has(path)) {
        out.set(path, [node, node.mode, "", undefined, undefined, node.link]);
        continue;
      }
      const stamp = `${String(node.mtime ?? node.timestamp)}|${String(node.ctime)}|${node.uid}|${node.gid}`;
      out.set(path, [node, node.mode, stamp, node.usedBytes, node.contents, node.link]);
      if (FS.isDir(node.mode)) walk(path);
    }
  };
  walk("/");
  return out;
}

function sameEntries(a: Map<string, FsEntry>, b: Map<string, FsEntry>): boolean {
  if (a.size !== b.size) return false;
  for (const [path, entry] of a) {
    const other = b.get(path);
    if (!other || entry.some((v, i) => v !== other[i])) return false;
  }
  return true;
}

/** The state of an interpreter between two steps of a run, kept while other runs use it. */
export interface Checkpoint {
  /** A copy of the wasm memory (its first `length` bytes; the buffer may be larger). */
  readonly memory: Uint8Array;
  readonly length: number;
  readonly hiwire: readonly unknown[];
  readonly cwd: string;
}

/** Why a restore was refused, or undefined when it was done. */
export type RestoreRefusal = string | undefined;

/** The state of one interpreter, taken once it is loaded and hardened. */
export class InterpreterImage {
  readonly #module: PyodideModule;
  readonly #memory: MemoryPages;
  readonly #hiwire: unknown[];
  readonly #tableLength: number;
  readonly #streams: (object | null | undefined)[];
  readonly #files: Map<string, FsEntry>;

  private constructor(module: PyodideModule, base: Uint8Array | undefined) {
    this.#module = module;
    this.#memory = new MemoryPages(module.HEAPU8, base);
    const hiwire: unknown[] = [];
    for (;;) {
      try {
        hiwire.push(module.__hiwire_get(hiwire.length));
      } catch {
        break; // past the end of the table
      }
    }
    this.#hiwire = hiwire;
    this.#tableLength = module.wasmTable.length;
    this.#streams = [...module.FS.streams];
    this.#files = fsEntries(module.FS);
  }

  /**
   * Takes the image of an interpreter that is between calls. `base`: the memory it was
   * loaded from (the snapshot's), kept by reference for the pages still equal to it. From then on, Python objects
   * that JavaScript wraps are not freed by the garbage collector: a proxy made after the
   * image would otherwise, once collected, release an object of the restored memory. Their
   * memory is reclaimed by the restore.
   */
  static take(pyodide: unknown, base?: Uint8Array): InterpreterImage {
    const module = (pyodide as { _module: PyodideModule })._module;
    const image = new InterpreterImage(module, base);
    // Scanned a little later: the step waiting for this interpreter runs first (a restore
    // or a measure before then scans at once).
    setTimeout(() => image.#memory.compact(), COMPACT_DELAY_MS);
    const registry = module.finalizationRegistry;
    module.finalizationRegistry = {
      register: () => {},
      unregister: (token) => registry.unregister(token),
    };
    return image;
  }

  /** Bytes the image holds of its own (the pages that are neither zero nor the base's). */
  get bytes(): number {
    return this.#memory.ownBytes;
  }

  /**
   * Puts the interpreter back into the image's state, or says why it cannot (then the
   * interpreter is as the run left it and must be thrown away).
   */
  restore(): RestoreRefusal {
    const refusal = this.#closeExtras();
    if (refusal !== undefined) return refusal;
    this.#memory.restoreInto(this.#module.HEAPU8);
    this.#setHiwire(this.#hiwire);
    this.#module.FS.chdir("/workspace");
    return undefined;
  }

  /**
   * A copy of the interpreter's state now (between calls), to be put back by
   * {@link restoreCheckpoint} after other runs used the interpreter; undefined when a
   * restore of the image would undo part of it (files outside the workspace changed, a
   * descriptor opened or changed, code loaded into the function table). `reuse`: a buffer
   * of an earlier checkpoint to copy into when it is large enough.
   */
  checkpoint(reuse?: Uint8Array): Checkpoint | undefined {
    const m = this.#module;
    if (m.wasmTable.length !== this.#tableLength) return undefined;
    const FS = m.FS;
    if (FS.streams.length > this.#streams.length) {
      for (let fd = this.#streams.length; fd < FS.streams.length; fd++) if (FS.streams[fd]) return undefined;
    }
    for (let fd = 0; fd < this.#streams.length; fd++)
      if (FS.streams[fd] !== this.#streams[fd]) return undefined;
    if (!sameEntries(fsEntries(FS), this.#files)) return undefined;
    const heap = m.HEAPU8;
    const memory = reuse && reuse.length >= heap.length ? reuse : new Uint8Array(heap.length);
    memory.set(heap);
    const hiwire: unknown[] = [];
    for (;;) {
      try {
        hiwire.push(m.__hiwire_get(hiwire.length));
      } catch {
        break;
      }
    }
    return { memory, length: heap.length, hiwire, cwd: FS.cwd() };
  }

  /** Puts a checkpoint of this interpreter back (as {@link restore} does the image). */
  restoreCheckpoint(checkpoint: Checkpoint): RestoreRefusal {
    const refusal = this.#closeExtras();
    if (refusal !== undefined) return refusal;
    const heap = this.#module.HEAPU8;
    heap.set(checkpoint.memory.subarray(0, checkpoint.length));
    heap.fill(0, checkpoint.length);
    this.#setHiwire(checkpoint.hiwire);
    const FS = this.#module.FS;
    try {
      FS.chdir(checkpoint.cwd);
    } catch {
      FS.chdir("/workspace"); // a folder of the workspace, emptied since
    }
    return undefined;
  }

  /** Checks what a restore cannot undo and closes the descriptors opened since the image. */
  #closeExtras(): RestoreRefusal {
    const m = this.#module;
    if (m.wasmTable.length !== this.#tableLength) return "code was loaded into the function table";
    const FS = m.FS;
    const extra: object[] = [];
    for (let fd = 0; fd < Math.max(FS.streams.length, this.#streams.length); fd++) {
      const was = this.#streams[fd];
      const is = FS.streams[fd];
      if (was) {
        if (is !== was) return `file descriptor ${fd} changed`;
      } else if (is) extra.push(is);
    }
    if (!sameEntries(fsEntries(FS), this.#files)) return "files outside the workspace changed";
    for (const stream of extra) FS.close(stream);
    return undefined;
  }

  #setHiwire(values: readonly unknown[]): void {
    const m = this.#module;
    for (let i = 0; i < values.length; i++) m.__hiwire_set(i, values[i]);
    // Slots added since: emptied (setting never fails, reading past the end does).
    for (let i = values.length; ; i++) {
      try {
        m.__hiwire_get(i);
      } catch {
        break;
      }
      m.__hiwire_set(i, null);
    }
  }
}
