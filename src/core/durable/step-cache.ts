/**
 * The step result cache: a step with `cache` set whose language, runtime version, code,
 * inputs, env and input files hash the same as a cached success within its TTL is not run.
 */
import type { StepTask } from "../step-pool.js";
import type { StepState } from "../step-state.js";
import { Sha256 } from "./sha256.js";
import type { CachedStep, Store } from "./store.js";

/** Looks up and keeps step results in a store. */
export class StepCache {
  readonly #store: Store;
  readonly #runtimeVersion: (language: string) => string;

  /** @param runtimeVersion the version of the interpreter a language runs on (part of the key). */
  constructor(store: Store, runtimeVersion: (language: string) => string) {
    this.#store = store;
    this.#runtimeVersion = runtimeVersion;
  }

  /** The key of a step attempt: everything its result may depend on. */
  key(task: StepTask): string {
    const h = new Sha256();
    const field = (text: string) => h.update(`${text.length}:`).update(text);
    field(task.language);
    field(this.#runtimeVersion(task.language));
    field(task.code);
    field(task.inputsJson);
    if (task.contextJson !== undefined) field(task.contextJson);
    for (const name of Object.keys(task.env).sort()) {
      field(name);
      field(task.env[name] as string);
    }
    for (const host of task.net?.hosts ?? []) field(`net:${host}`);
    for (const path of Object.keys(task.files).sort()) {
      field(path);
      const data = task.files[path];
      if (data === null || data === undefined) field("dir");
      else {
        h.update(`${data.byteLength}:`);
        h.update(data);
      }
    }
    return h.hex();
  }

  /** A fresh cached result for the step, if any. */
  lookup(key: string, now: number): Promise<CachedStep | undefined> {
    return this.#store.getCached(key, now);
  }

  /** Keeps a success for the step's TTL (`cacheTtl` seconds; null: until cleared). */
  keep(key: string, s: StepState, step: CachedStep): Promise<void> {
    const ttl = s.def.cacheTtl;
    return this.#store.putCached(
      key,
      step,
      ttl === null || ttl === undefined ? null : step.createdAt + ttl * 1000,
    );
  }
}
