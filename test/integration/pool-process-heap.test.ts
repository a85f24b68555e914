/**
 * The pool process runs with a capped young generation (POOL_HEAP_FLAGS): with V8's
 * default each of its isolates let the young generation grow past 100 MB during a soak,
 * the process's RSS growing by about 400 MB with a live heap near 20 MB. And with wasm
 * tier-up done on the thread that needs it (POOL_WASM_FLAGS).
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { defineWorkflow } from "../../src/core/builder.js";
import { POOL_HEAP_FLAGS, POOL_WASM_FLAGS } from "../../src/node/pool-child.js";
import { createEngine } from "../../src/node.js";
import { descendants } from "../security/security-env.js";

describe("the pool process's heap", () => {
  it("is started with the young generation capped and synchronous wasm tier-up", async () => {
    const engine = createEngine({ threads: 1 });
    try {
      const workflow = defineWorkflow({
        name: "heap",
        steps: { a: { language: "lua", code: "function run() return 1 end" } },
      });
      expect((await engine.run(workflow)).status).toBe("succeeded");
      const argvs = descendants()
        .map((pid) => readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0"))
        .filter((argv) => argv.some((a) => a.endsWith("pool-server.js")));
      expect(argvs).toHaveLength(1);
      expect(POOL_HEAP_FLAGS).toEqual(["--max-semi-space-size=8"]);
      for (const flag of POOL_HEAP_FLAGS) expect(argvs[0]).toContain(flag);
      // Optimized wasm code is compiled on the thread that needs it (fan-out, bench/PROFILE.md).
      expect(POOL_WASM_FLAGS).toEqual(["--wasm-sync-tier-up"]);
      for (const flag of POOL_WASM_FLAGS) expect(argvs[0]).toContain(flag);
    } finally {
      await engine.close();
    }
  }, 60_000);
});
