/**
 * The interpreters one worker holds. An interpreter serves the steps of one run only: a
 * loaded interpreter that no run has used yet (a spare) is bound to the first run that
 * needs one, and when the run ends it is reset to the state it had when made (where the
 * runtime can: Python restores its memory image) or thrown away and a fresh spare made
 * in the background. A worker keeps the interpreters of several runs per language at once, so
 * concurrent runs whose steps alternate on a worker do not reload an interpreter for every
 * step; past that number the least recently used one is dropped. An interpreter that
 * broke, or whose memory grew past the recycle threshold, is dropped with its factory and
 * the other interpreters of its language (wasm memory never shrinks, and an interpreter's
 * factory may share one wasm instance between them).
 */
import type { Language } from "../../src/core/languages.js";
import type { LanguageRuntime, LanguageRuntimeFactory } from "./language-runtime.js";

interface Held {
  readonly runtime: LanguageRuntime;
  readonly memoryBytes: number;
  /** The run it serves; undefined for a spare no run has used. */
  runId: string | undefined;
  lastUsed: number;
}

interface Slot {
  factory: LanguageRuntimeFactory | undefined;
  readonly held: Held[];
  /** The one being made (in the background after a run, or for a step). */
  creating: Promise<Held> | undefined;
  /** The interpreter the current step runs on. */
  current: Held | undefined;
}

/** Makes the factory of a language (called again after a recycle). */
export type FactoryMaker = () => LanguageRuntimeFactory;

/** Interpreters per language a worker keeps for concurrent runs, unless told otherwise. */
export const DEFAULT_RUNS_PER_WORKER = 4;

/** The per-language interpreters of one worker. */
export class InterpreterSlots {
  readonly #makers: Readonly<Record<Language, FactoryMaker>>;
  readonly #recycleBytes: number;
  readonly #keep: number;
  readonly #slots = new Map<Language, Slot>();
  #clock = 0;

  constructor(
    makers: Readonly<Record<Language, FactoryMaker>>,
    recycleBytes: number,
    runsPerWorker = DEFAULT_RUNS_PER_WORKER,
  ) {
    if (!Number.isInteger(runsPerWorker) || runsPerWorker < 1)
      throw new TypeError("runsPerWorker must be a positive integer");
    this.#makers = makers;
    this.#recycleBytes = recycleBytes;
    this.#keep = runsPerWorker;
  }

  #slot(language: Language): Slot {
    let slot = this.#slots.get(language);
    if (!slot) {
      slot = { factory: undefined, held: [], creating: undefined, current: undefined };
      this.#slots.set(language, slot);
    }
    return slot;
  }

  #drop(slot: Slot, held: Held): void {
    const at = slot.held.indexOf(held);
    if (at >= 0) slot.held.splice(at, 1);
    if (slot.current === held) slot.current = undefined;
    try {
      held.runtime.dispose();
    } catch {
      // A broken interpreter may fail to free itself; it is unreachable from here on.
    }
  }

  /** Makes one more interpreter (a spare), dropping the least recently used if at the limit. */
  async #create(slot: Slot, language: Language, memoryBytes: number): Promise<Held> {
    while (slot.creating) await slot.creating.catch(() => undefined);
    if (slot.held.length >= this.#keep) {
      const oldest = slot.held.reduce((a, b) => (b.lastUsed < a.lastUsed ? b : a));
      this.#drop(slot, oldest);
    }
    slot.factory ??= this.#makers[language]();
    const creating = slot.factory
      .create({ memoryBytes })
      .then((runtime): Held => ({ runtime, memoryBytes, runId: undefined, lastUsed: this.#clock++ }));
    slot.creating = creating;
    try {
      const held = await creating;
      slot.held.push(held);
      return held;
    } finally {
      if (slot.creating === creating) slot.creating = undefined;
    }
  }

  /** Loads an interpreter ahead of use (a spare, not yet bound to a run). */
  async prepare(language: Language, memoryBytes: number): Promise<void> {
    const slot = this.#slot(language);
    if (slot.creating) await slot.creating.catch(() => undefined);
    if (!slot.held.some((h) => h.runId === undefined)) await this.#create(slot, language, memoryBytes);
  }

  /** The interpreter for a step of `runId` with the given memory limit. */
  async acquire(language: Language, runId: string, memoryBytes: number): Promise<LanguageRuntime> {
    const slot = this.#slot(language);
    if (slot.creating) await slot.creating.catch(() => undefined);
    const fixed = slot.factory?.memoryFixedAtCreate === true;
    const fits = (h: Held) => !fixed || h.memoryBytes === memoryBytes;
    let held = slot.held.find((h) => h.runId === runId);
    if (held && !fits(held)) {
      this.#drop(slot, held);
      held = undefined;
    }
    held ??= slot.held.find((h) => h.runId === undefined && fits(h));
    held ??= await this.#create(slot, language, memoryBytes);
    held.runId = runId;
    held.lastUsed = this.#clock++;
    slot.current = held;
    return held.runtime;
  }

  /** After a step: recycles the language's interpreters if this one broke or grew too much. */
  release(language: Language, broken: boolean): void {
    const slot = this.#slot(language);
    const held = slot.current;
    slot.current = undefined;
    if (!held) return;
    let grown = false;
    try {
      grown = held.runtime.memoryBytes() > this.#recycleBytes;
    } catch {
      grown = true;
    }
    if (!broken && !grown) return;
    for (const h of [...slot.held]) this.#drop(slot, h);
    slot.factory = undefined;
  }

  /**
   * A run ended: interpreters it used are thrown away, and a fresh spare is made where
   * none is waiting, so the next run finds a clean, loaded interpreter. Resolves once the
   * spares are made (a failed load is retried by the next acquire).
   */
  endRun(runId: string): Promise<void> {
    const making: Promise<unknown>[] = [];
    for (const [language, slot] of this.#slots) {
      const held = slot.held.find((h) => h.runId === runId);
      if (!held) continue;
      if (this.#reset(held)) continue;
      this.#drop(slot, held);
      if (slot.creating || slot.held.some((h) => h.runId === undefined)) continue;
      making.push(this.#create(slot, language, held.memoryBytes).catch(() => undefined));
    }
    return Promise.all(making).then(() => undefined);
  }

  /** Makes a run's interpreter a spare again by resetting it, if it can be and is small enough. */
  #reset(held: Held): boolean {
    if (!held.runtime.reset) return false;
    try {
      if (held.runtime.memoryBytes() > this.#recycleBytes || !held.runtime.reset()) return false;
    } catch {
      return false;
    }
    held.runId = undefined;
    return true;
  }

  /** Frees every interpreter. */
  dispose(): void {
    for (const slot of this.#slots.values()) {
      for (const h of [...slot.held]) this.#drop(slot, h);
      slot.factory = undefined;
    }
  }
}
