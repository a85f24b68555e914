/**
 * Python steps on Pyodide: one interpreter per instance (memory capped when it is made),
 * compiled `run` functions cached by source, JSON text across the boundary, stdout and
 * stderr streamed, the workspace mirrored into the interpreter's in-memory file system.
 */
import type { PyodideAPI } from "pyodide";
import { INTERRUPT_SIGNAL } from "../../src/protocol/control-block.js";
import { type FileTree, treeSize } from "../fs/file-tree.js";
import type {
  LanguageRuntime,
  LanguageRuntimeFactory,
  StepInvocation,
  StepOutcome,
} from "../worker/language-runtime.js";
import {
  type ChangeTracker,
  type EmscriptenFS,
  readWorkspace,
  trackWorkspaceChanges,
  WorkspaceOverLimit,
  writeWorkspace,
} from "./emscripten-workspace.js";
import { FatalGuard } from "./fatal-guard.js";
import { InterpreterImage } from "./interpreter-image.js";
import { type ParkedRun, seatedFactory } from "./interpreter-seats.js";
import { installNetDevice } from "./net-device.js";
import { loadPyodideInstance, type PyodideSource, snapshotMemory } from "./pyodide-instance.js";

const BETWEEN_STEPS = new Int32Array(new SharedArrayBuffer(4));
/** Never raised: for the interpreter's own calls between runs. */
const BETWEEN_STEPS_CLEAR = new Int32Array(new SharedArrayBuffer(4));

type PyCall = ((...args: unknown[]) => string) & { destroy(): void };

/** One loaded interpreter. */
export class PythonRuntime implements LanguageRuntime {
  #compiled = new Map<string, number>();
  #decoders = { stdout: new TextDecoder(), stderr: new TextDecoder() };
  #py!: PyodideAPI;
  #compile!: PyCall;
  #call!: PyCall;
  #setEnv!: PyCall;
  #lastEnv = "{}";
  #tracker!: ChangeTracker;
  #guard!: FatalGuard;
  #current: StepInvocation | undefined;
  #lastTreeEmpty = true;
  #image: InterpreterImage | undefined;
  #reseed!: PyCall;

  async init(source: PyodideSource, memoryBytes: number, reusable: boolean): Promise<this> {
    const sink = (stream: "stdout" | "stderr") => (bytes: Uint8Array) => {
      const text = this.#decoders[stream].decode(bytes, { stream: true });
      if (text) this.#current?.emit(stream, text);
    };
    this.#py = await loadPyodideInstance(source, {
      memoryBytes,
      stdout: sink("stdout"),
      stderr: sink("stderr"),
    });
    this.#guard = new FatalGuard(this.#py);
    installNetDevice(this.#py.FS as never, () => this.#current?.net);
    this.#compile = this.#py.globals.get("__sf_compile") as PyCall;
    this.#call = this.#py.globals.get("__sf_call") as PyCall;
    this.#setEnv = this.#py.globals.get("__sf_set_env") as PyCall;
    const api = this.#py as unknown as {
      FS: { ErrnoError: new (errno: number) => Error };
      ERRNO_CODES: { ENOSPC: number };
    };
    this.#tracker = trackWorkspaceChanges(
      this.#py.FS as unknown as EmscriptenFS,
      () => new api.FS.ErrnoError(api.ERRNO_CODES.ENOSPC),
    );
    this.#reseed = this.#py.runPython("import random\nrandom.seed") as PyCall;
    if (reusable) {
      const snapshot = await source.snapshot?.();
      this.#image = InterpreterImage.take(this.#py, snapshot && snapshotMemory(snapshot));
    }
    return this;
  }

  async run(inv: StepInvocation): Promise<StepOutcome> {
    // First of all: every Python call below runs under this step's interrupt flag.
    this.#py.setInterruptBuffer(inv.interruptBuffer);
    const fs = this.#py.FS as unknown as EmscriptenFS;
    const noFiles = Object.keys(inv.files).length === 0;
    if (!(noFiles && this.#lastTreeEmpty)) writeWorkspace(fs, inv.files);
    this.#tracker.begin(noFiles ? 0 : treeSize(inv.files), inv.limits.workspaceBytes);
    const env = JSON.stringify(inv.env);
    if (env !== this.#lastEnv) {
      this.#setEnv(env);
      this.#lastEnv = env;
    }
    this.#current = inv;
    let result: string;
    try {
      result = this.#guard.run(() => {
        let key = this.#compiled.get(inv.code);
        let compiled = "1";
        if (key === undefined) {
          key = this.#compiled.size + 1;
          compiled = this.#compile(key, inv.code, `<step ${inv.stepId}>`);
          if (compiled === "1") this.#compiled.set(inv.code, key);
        }
        return compiled === "1"
          ? this.#call(key, inv.inputsJson, inv.attempt, inv.stepId, inv.runId, inv.contextJson ?? "")
          : compiled;
      });
    } finally {
      this.#current = undefined;
      // Between steps the interrupt stays raised: Python that a step left to run later
      // (a callback on a JavaScript timer, say) is stopped as soon as it starts. (An
      // interpreter that failed fatally answers nothing any more: it is replaced.)
      if (!this.#guard.failed) {
        BETWEEN_STEPS[0] = INTERRUPT_SIGNAL;
        this.#py.setInterruptBuffer(BETWEEN_STEPS);
      }
    }
    // Nothing written: the files are the ones the step started with.
    let files: FileTree;
    try {
      files = this.#tracker.changed() ? readWorkspace(fs, inv.limits.workspaceBytes) : inv.files;
    } catch (e) {
      if (!(e instanceof WorkspaceOverLimit)) throw e;
      this.#lastTreeEmpty = false;
      return { ok: false, error: { name: "WorkspaceLimitError", message: e.message } };
    }
    this.#lastTreeEmpty = files === inv.files ? noFiles : Object.keys(files).length === 0;
    if (this.#tracker.exceeded() && !result.startsWith("1")) {
      const message = `the Python step wrote more than the workspace limit of ${inv.limits.workspaceBytes} bytes`;
      return { ok: false, error: { name: "WorkspaceLimitError", message }, files };
    }
    switch (result.charCodeAt(0)) {
      case 49:
        return { ok: true, outputJson: result.slice(1), files };
      case 50:
        return {
          ok: false,
          error: {
            name: "InvalidResultError",
            message: `the Python step returned a value that is not JSON: ${result.slice(1)}`,
          },
          files,
        };
      case 51:
        return {
          ok: false,
          error: { name: "StepTimeoutError", message: "the Python step was interrupted" },
          files,
        };
      case 52:
        return {
          ok: false,
          error: {
            name: "MemoryLimitError",
            message: `the Python step used more than its memory limit of ${Math.round(inv.limits.memoryBytes / 1048576)} MB`,
          },
          files,
        };
      default:
        return { ok: false, error: { name: "StepRuntimeError", message: result.slice(1) }, files };
    }
  }

  /**
   * Back to the state the interpreter was in when it was loaded: the memory image is
   * copied back (every global, module and object of the run is gone), the workspace
   * emptied, and random seeded afresh (the image holds the state it had when taken).
   */
  reset(): boolean {
    if (!this.#image || this.#guard.failed || this.#tracker.touchedOutside()) return false;
    try {
      return this.#restore(this.#image);
    } catch {
      return false;
    }
  }

  /**
   * A copy of the run's state between two of its steps (memory, hiwire table, compiled
   * steps), to be put back by {@link unpark} after other runs used the interpreter;
   * undefined when the interpreter cannot be reset (see {@link reset}), or when a reset
   * would undo part of the state (a descriptor left open). `reuse`: a buffer to copy into.
   */
  park(reuse?: Uint8Array): ParkedRun | undefined {
    if (!this.#image || this.#guard.failed || this.#tracker.touchedOutside()) return undefined;
    try {
      const checkpoint = this.#image.checkpoint(reuse);
      return checkpoint && { checkpoint, compiled: new Map(this.#compiled), lastEnv: this.#lastEnv };
    } catch {
      return undefined;
    }
  }

  /** Puts a parked run's state back, with an empty workspace; false when it cannot be (as reset). */
  unpark(parked: ParkedRun): boolean {
    if (!this.#image || this.#guard.failed || this.#tracker.touchedOutside()) return false;
    try {
      if (this.#image.restoreCheckpoint(parked.checkpoint) !== undefined) return false;
      this.#afterRestore();
      BETWEEN_STEPS[0] = INTERRUPT_SIGNAL;
      this.#py.setInterruptBuffer(BETWEEN_STEPS);
      this.#compiled = new Map(parked.compiled);
      this.#lastEnv = parked.lastEnv;
      return true;
    } catch {
      return false;
    }
  }

  #restore(image: InterpreterImage): boolean {
    if (image.restore() !== undefined) return false;
    this.#afterRestore();
    this.#compiled.clear();
    this.#lastEnv = "{}";
    this.#py.setInterruptBuffer(BETWEEN_STEPS_CLEAR);
    this.#guard.run(() => this.#reseed());
    BETWEEN_STEPS[0] = INTERRUPT_SIGNAL;
    this.#py.setInterruptBuffer(BETWEEN_STEPS);
    return true;
  }

  #afterRestore(): void {
    this.#tracker.forgetOutside();
    this.#decoders.stdout = new TextDecoder();
    this.#decoders.stderr = new TextDecoder();
    writeWorkspace(this.#py.FS as unknown as EmscriptenFS, {});
    this.#lastTreeEmpty = true;
  }

  memoryBytes(): number {
    return (this.#py as unknown as { _module: { HEAPU8: Uint8Array } })._module.HEAPU8.byteLength;
  }

  dispose(): void {
    if (this.#guard.failed) return;
    this.#compile.destroy();
    this.#call.destroy();
    this.#setEnv.destroy();
    this.#reseed.destroy();
  }
}

/**
 * Creates the Python runtime factory; each instance is a fresh interpreter capped at
 * `memoryBytes`, loaded, or a seat on one loaded before (see interpreter-seats.ts).
 */
export function createPythonRuntimeFactory(source: PyodideSource): LanguageRuntimeFactory {
  return seatedFactory((memoryBytes) => new PythonRuntime().init(source, memoryBytes, true));
}
