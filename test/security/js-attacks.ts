/**
 * JavaScript steps trying to escape QuickJS (to the host realm, the host's files,
 * environment and network) and to exhaust the engine (CPU, memory, stack, output, result,
 * workspace). The step's realm is QuickJS's own: there is no host object to reach.
 */
import { expect } from "vitest";
import type { Attack } from "./attack-runner.js";

const MB = 1 << 20;
const stopped = { step: { timeout: 1 }, errors: ["StepTimeoutError"], maxMs: 1500 } as const;

export const jsAttacks: readonly Attack[] = [
  {
    name: "reach the host realm through constructors, globals and errors",
    category: "js-bridge",
    language: "javascript",
    thread: true,
    mayPass: true,
    code: () => `function run() {
      const found = [];
      const tries = [
        () => (function () {}).constructor("return typeof process")(),
        () => this.constructor.constructor("return typeof require")(),
        () => Function("return typeof globalThis.process")(),
        () => typeof console.log.constructor("return process")(),
        () => typeof sandflow.readFile.constructor("return process")(),
        () => { try { null.f(); } catch (e) { return typeof e.constructor.constructor("return process")(); } },
      ];
      for (const t of tries) { try { const r = t(); if (r !== "undefined") found.push(String(r)); } catch (e) {} }
      for (const name of ["process", "require", "module", "Buffer", "fetch", "XMLHttpRequest", "WebSocket", "setTimeout", "Deno", "Bun", "std", "os"]) {
        if (typeof globalThis[name] !== "undefined") found.push(name);
      }
      return found.length ? "ESCAPED " + found.join(",") : "contained";
    }`,
    check: (step) => expect(step.output).toBe("contained"),
  },
  {
    name: "dynamic import of a host module",
    category: "js-bridge",
    language: "javascript",
    code: () => `async function run() { const fs = await import("node:fs"); return "ESCAPED " + typeof fs; }`,
  },
  {
    name: "read the host canary file and the environment through sandflow.readFile",
    category: "host-files",
    language: "javascript",
    mayPass: true,
    code: (ctx) => `function run() {
      const out = [];
      for (const p of [${JSON.stringify(ctx.canaryFile)}, "../../${ctx.canaryFile}", "/proc/self/environ", "/etc/passwd"]) {
        try { out.push("read " + sandflow.readFile(p)); } catch (e) { out.push(String(e)); }
      }
      return out;
    }`,
    check: (step) =>
      expect(step.output).toEqual([
        expect.stringMatching(/no such file$/),
        expect.stringMatching(/no such file$/),
        expect.stringMatching(/only files under \/tmp and \/workspace can be used$/),
        expect.stringMatching(/only files under \/tmp and \/workspace can be used$/),
      ]),
  },
  {
    name: "write to a host path (lands in the step's virtual /tmp, or fails)",
    category: "host-files",
    language: "javascript",
    mayPass: true,
    code: (ctx) => `function run() {
      try { sandflow.writeFile(${JSON.stringify(ctx.writeTarget)}, "written"); } catch (e) {}
      try { sandflow.writeFile("/../../.." + ${JSON.stringify(ctx.writeTarget)}, "written"); } catch (e) {}
      return "virtual";
    }`,
  },
  {
    name: "busy loop",
    category: "timeout",
    language: "javascript",
    thread: true,
    ...stopped,
    code: () => "function run() { for (;;) {} }",
  },
  {
    name: "a loop that catches the interrupt",
    category: "timeout",
    language: "javascript",
    ...stopped,
    code: () => "function run() { for (;;) { try { for (;;) {} } catch (e) {} } }",
  },
  {
    name: "an endless chain of promise jobs",
    category: "timeout",
    language: "javascript",
    ...stopped,
    code: () => "async function run() { for (;;) await null; }",
  },
  {
    name: "a top-level busy loop in a plain script",
    category: "timeout",
    language: "javascript",
    ...stopped,
    code: () => "while (true) {}",
  },
  {
    name: "array growth until memory runs out",
    category: "memory",
    language: "javascript",
    step: { memory: 64 },
    errors: ["MemoryLimitError"],
    maxRssGrowth: 64 * MB + 400 * MB,
    code: () => "function run() { const a = []; for (;;) a.push({ n: a.length, s: 'x' + a.length }); }",
  },
  {
    name: "string doubling, catching the error (ropes: memory stays bounded)",
    category: "string-bomb",
    language: "javascript",
    step: { memory: 64 },
    errors: ["MemoryLimitError", "StepRuntimeError"],
    mayPass: true,
    maxRssGrowth: 64 * MB + 400 * MB,
    code: () => `function run() {
      let s = "x";
      try { for (;;) s = s + s; } catch (e) { return { caught: String(e).slice(0, 60), length: s.length }; }
    }`,
  },
  {
    name: "a typed array past the memory limit",
    category: "memory",
    language: "javascript",
    step: { memory: 64 },
    errors: ["MemoryLimitError", "StepRuntimeError"],
    maxRssGrowth: 64 * MB + 400 * MB,
    code: () => "function run() { const b = new Uint8Array(512 * 1024 * 1024); b.fill(1); return b.length; }",
  },
  {
    name: "unbounded recursion",
    category: "recursion",
    language: "javascript",
    thread: true,
    code: () => "function f(n) { return f(n + 1) + 1; }\nfunction run() { return f(0); }",
    check: (step) => expect(step.error?.message).toMatch(/stack overflow/),
  },
  {
    name: "recursion through JSON.stringify of a deep object",
    category: "recursion",
    language: "javascript",
    errors: ["StepRuntimeError", "InvalidResultError"],
    code: () => "function run() { let o = {}; for (let i = 0; i < 1e6; i++) o = { o }; return o; }",
  },
  {
    name: "console.log flood",
    category: "output",
    language: "javascript",
    errors: ["OutputLimitError"],
    code: () => "function run() { for (;;) console.log('x'.repeat(1000)); }",
  },
  {
    name: "a result past the result limit",
    category: "result",
    language: "javascript",
    errors: ["ResultLimitError"],
    code: () => "function run() { return 'x'.repeat(1024 * 1024); }",
  },
  {
    name: "workspace files past the workspace limit",
    category: "workspace",
    language: "javascript",
    errors: ["WorkspaceLimitError"],
    code: () =>
      "function run() { const big = 'x'.repeat(1 << 20); for (let i = 0; ; i++) sandflow.writeFile('f' + i, big); }",
  },
];
