/**
 * The interpreters one worker holds, one per language. An interpreter serves the steps
 * of one run; before a step of another run it is thrown away and a fresh one made, so no
 * state crosses runs. An interpreter whose memory grew past the recycle threshold is
 * dropped after its step (wasm memory never shrinks).
 */
import type { Language } from "../../src/core/languages.js";
import type { LanguageRuntime, LanguageRuntimeFactory } from "./language-runtime.js";

interface Slot {
  factory: LanguageRuntimeFactory | undefined;
  runtime: LanguageRuntime | undefined;
  creating: Promise<LanguageRuntime> | undefined;
  runId: string | undefined;
  memoryBytes: number;
}

/** Makes the factory of a language (called again after a recycle). */
export type FactoryMaker = () => LanguageRuntimeFactory;

/** The per-language interpreters of one worker. */
export class InterpreterSlots {
  readonly #makers: Readonly<Record<Language, FactoryMaker>>;
  readonly #recycleBytes: number;
  readonly #slots = new Map<Language, Slot>();

  constructor(makers: Readonly<Record<Language, FactoryMaker>>, recycleBytes: number) {
    this.#makers = makers;
    this.#recycleBytes = recycleBytes;
  }

  #slot(language: Language): Slot {
    let slot = this.#slots.get(language);
    if (!slot) {
      slot = {
        factory: undefined,
        runtime: undefined,
        creating: undefined,
        runId: undefined,
        memoryBytes: 0,
      };
      this.#slots.set(language, slot);
    }
    return slot;
  }

  #drop(slot: Slot, dropFactory: boolean): void {
    try {
      slot.runtime?.dispose();
    } catch {
      // A broken interpreter may fail to free itself; it is unreachable from here on.
    }
    slot.runtime = undefined;
    slot.runId = undefined;
    if (dropFactory) slot.factory = undefined;
  }

  async #create(slot: Slot, language: Language, memoryBytes: number): Promise<LanguageRuntime> {
    if (slot.creating) await slot.creating.catch(() => undefined);
    if (slot.runtime) return slot.runtime;
    slot.factory ??= this.#makers[language]();
    slot.creating = slot.factory.create({ memoryBytes });
    try {
      slot.runtime = await slot.creating;
      slot.memoryBytes = memoryBytes;
      return slot.runtime;
    } finally {
      slot.creating = undefined;
    }
  }

  /** Loads an interpreter ahead of use (not yet bound to a run). */
  async prepare(language: Language, memoryBytes: number): Promise<void> {
    const slot = this.#slot(language);
    if (!slot.runtime) await this.#create(slot, language, memoryBytes);
  }

  /** The interpreter for a step of `runId` with the given memory limit. */
  async acquire(language: Language, runId: string, memoryBytes: number): Promise<LanguageRuntime> {
    const slot = this.#slot(language);
    const fixed = slot.factory?.memoryFixedAtCreate === true;
    if (
      slot.runtime &&
      ((slot.runId !== undefined && slot.runId !== runId) || (fixed && slot.memoryBytes !== memoryBytes))
    ) {
      this.#drop(slot, false);
    }
    const runtime = slot.runtime ?? (await this.#create(slot, language, memoryBytes));
    slot.runId = runId;
    return runtime;
  }

  /** After a step: recycles the interpreter if it is broken or its memory grew too much. */
  release(language: Language, broken: boolean): void {
    const slot = this.#slot(language);
    if (!slot.runtime) return;
    let grown = false;
    try {
      grown = slot.runtime.memoryBytes() > this.#recycleBytes;
    } catch {
      grown = true;
    }
    if (broken || grown) this.#drop(slot, true);
  }

  /**
   * A run ended: interpreters it used are thrown away and fresh ones made in the
   * background, so the next run finds a clean, loaded interpreter.
   */
  endRun(runId: string): void {
    for (const [language, slot] of this.#slots) {
      if (slot.runId !== runId || slot.creating) continue;
      this.#drop(slot, false);
      this.#create(slot, language, slot.memoryBytes).catch(() => {
        // A failed background load is retried by the next acquire.
      });
    }
  }

  /** Frees every interpreter. */
  dispose(): void {
    for (const slot of this.#slots.values()) this.#drop(slot, true);
  }
}
