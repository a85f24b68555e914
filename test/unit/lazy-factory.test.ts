/**
 * A worker imports a language's modules on the first `create` of its factory
 * (runtimes/worker/lazy-factory.ts): once, shared by creates that overlap, and again after
 * a failed load instead of failing the language for good.
 */
import { describe, expect, it, vi } from "vitest";
import type { LanguageRuntimeFactory } from "../../runtimes/worker/language-runtime.js";
import { lazyFactory } from "../../runtimes/worker/lazy-factory.js";

function realFactory(): LanguageRuntimeFactory {
  let made = 0;
  return { language: "lua", create: async () => ({ made: ++made }) as never };
}

describe("a lazily loaded language factory", () => {
  it("loads nothing until the first create, then loads once for every create", async () => {
    const load = vi.fn(async () => realFactory());
    const factory = lazyFactory("lua", load);
    expect(factory.language).toBe("lua");
    expect(load).not.toHaveBeenCalled();
    const [a, b] = await Promise.all([factory.create(), factory.create()]);
    const c = await factory.create();
    expect(load).toHaveBeenCalledTimes(1);
    expect([a, b, c]).toEqual([{ made: 1 }, { made: 2 }, { made: 3 }]);
  });

  it("tries the load again on the next create after it failed", async () => {
    const load = vi
      .fn<() => Promise<LanguageRuntimeFactory>>()
      .mockRejectedValueOnce(new Error("module not readable"))
      .mockImplementation(async () => realFactory());
    const factory = lazyFactory("lua", load);
    await expect(factory.create()).rejects.toThrow("module not readable");
    await expect(factory.create()).resolves.toEqual({ made: 1 });
    expect(load).toHaveBeenCalledTimes(2);
  });
});
