/**
 * A language's interpreter factory whose code is imported on its first `create`, so a
 * worker loads the modules of the languages its steps use and no others (in Node the shell,
 * WASI, QuickJS and wasmoon modules were about 50 ms of every worker's start, and a Python
 * worker never used them).
 */
import type { Language } from "../../src/core/languages.js";
import type { LanguageRuntimeFactory } from "./language-runtime.js";

/**
 * A factory for `language` that calls `load` (an `import()` and the real factory's making)
 * on the first `create` and hands every `create` to what it made. A failed load is tried
 * again on the next `create`, so one unreadable module does not fail the language for good.
 */
export function lazyFactory(
  language: Language,
  load: () => Promise<LanguageRuntimeFactory>,
): LanguageRuntimeFactory {
  let inner: Promise<LanguageRuntimeFactory> | undefined;
  return {
    language,
    async create(options) {
      inner ??= load().catch((e: unknown) => {
        inner = undefined;
        throw e;
      });
      return (await inner).create(options);
    },
  };
}
