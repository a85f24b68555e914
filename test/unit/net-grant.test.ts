import { describe, expect, it } from "vitest";
import { LuaFactory } from "wasmoon";
import { createLuaWorkflowEvaluator } from "../../runtimes/lua/workflow-evaluator.js";
import { defineWorkflow, workflow } from "../../src/core/builder.js";
import { parseWorkflowSource } from "../../src/core/loaders/parse-source.js";
import { checkNetUrl, parseNetGrant } from "../../src/core/net-grant.js";
import { resolveEngineOptions } from "../../src/core/options.js";
import { parseWorkflow } from "../../src/core/validate.js";

const luaEvaluator = createLuaWorkflowEvaluator(() => new LuaFactory(), {
  instructionBudget: 1_000_000,
  memoryBudget: 8 * 1048576,
});

describe("network grant entries", () => {
  it("normalise host[:port] to lower case", () => {
    expect(parseNetGrant("API.Example.com")).toMatchObject({ ok: true, text: "api.example.com" });
    expect(parseNetGrant("127.0.0.1:8080")).toMatchObject({
      ok: true,
      grant: { host: "127.0.0.1", port: 8080 },
    });
    expect(parseNetGrant("[::1]:3000")).toMatchObject({ ok: true, grant: { host: "[::1]", port: 3000 } });
  });

  it.each([
    ["", /empty/],
    ["https://example.com", /without a scheme/],
    ["example.com/path", /no path/],
    ["user@example.com", /no path, query, user/],
    ["*.example.com", /wildcards/],
    ["example.com.", /trailing dot/],
    ["0x7f.1", /as the URL parser reads it \("127\.0\.0\.1"\)/],
    ["example.com:0", /1-65535/],
    ["example.com:", /empty port/],
    ["exa_mple.com", /letters, digits/],
  ])("refuse %j", (entry, message) => {
    const r = parseNetGrant(entry);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(message);
  });
});

describe("checking a URL against a grant", () => {
  const hosts = ["127.0.0.1:8080", "example.com"];
  it("allows the host and port as granted, the default port by scheme without one", () => {
    expect(checkNetUrl("http://127.0.0.1:8080/x?y=1", hosts, "s")).toEqual({
      ok: true,
      href: "http://127.0.0.1:8080/x?y=1",
    });
    expect(checkNetUrl("https://EXAMPLE.com/", hosts, "s").ok).toBe(true);
    expect(checkNetUrl("http://example.com:80/", hosts, "s").ok).toBe(true);
  });

  it.each([
    ["http://127.0.0.1:8081/", "host 127.0.0.1:8081 not granted to step s"],
    ["http://example.com:8080/", "host example.com:8080 not granted to step s"],
    ["http://example.com:443/", "host example.com:443 not granted to step s"],
    ["http://example.com./", "host example.com. not granted to step s"],
    ["http://[::1]:8080/", "host [::1]:8080 not granted to step s"],
    ["http://localhost:8080/", "host localhost:8080 not granted to step s"],
    ["http://example.com@evil.test/", "URLs with user info (user@host) are refused (step s)"],
    ["http://evil.test#@example.com/", "host evil.test not granted to step s"],
    ["file:///etc/passwd", "only http: and https: URLs can be fetched, not file: (step s)"],
  ])("denies %s", (url, message) => {
    expect(checkNetUrl(url, hosts, "s")).toEqual({ ok: false, name: "NetworkDeniedError", message });
  });

  it("denies everything without a grant", () => {
    expect(checkNetUrl("http://example.com/", [], "s")).toMatchObject({
      message: "step s has no network grant (allow.net)",
    });
  });
});

describe("allow.net in workflows", () => {
  const issuesOf = (raw: unknown) => {
    const r = parseWorkflow(raw);
    return r.ok ? [] : r.error.issues;
  };

  it("is validated per entry, naming the step and field", () => {
    expect(
      issuesOf({
        steps: {
          a: { language: "python", code: "x", allow: { net: ["ok.test", "https://bad.test", 3] } },
          b: { language: "lua", code: "x", allow: { net: ["ok.test"] } },
          c: { language: "js", code: "x", allow: { nett: [] } },
        },
      }),
    ).toEqual([
      {
        path: "steps.a.allow.net[1]",
        message:
          '"https://bad.test" must be host[:port] without a scheme (the scheme is the request\'s: http or https)',
      },
      { path: "steps.a.allow.net[2]", message: expect.stringMatching(/expected string/) },
      { path: "steps.c.allow.nett", message: expect.stringMatching(/unknown field .nett./) },
      {
        path: "steps.b.allow.net",
        message: "lua steps cannot make network requests (python, javascript, shell steps can)",
      },
    ]);
  });

  it("is read from Lua, YAML, JSON and the TypeScript builder alike, defaults and the step's own merged", async () => {
    const lua = await parseWorkflowSource(
      `workflow = { defaults = { allow = { net = { "a.test" } } }, steps = { s = { language = "shell", code = "true", allow = { net = { "B.test:8080" } } } } }`,
      { luaEvaluator, source: "w.lua" },
    );
    const yaml = await parseWorkflowSource(
      "defaults:\n  allow:\n    net: [a.test]\nsteps:\n  s:\n    language: shell\n    code: 'true'\n    allow:\n      net: ['B.test:8080']\n",
      { luaEvaluator, source: "w.yaml" },
    );
    const json = await parseWorkflowSource(
      JSON.stringify({
        defaults: { allow: { net: ["a.test"] } },
        steps: { s: { language: "shell", code: "true", allow: { net: ["B.test:8080"] } } },
      }),
      { luaEvaluator, source: "w.json" },
    );
    const built = workflow("w")
      .shell("s", "true", { allow: { net: ["a.test", "B.test:8080"] } })
      .build();
    const defined = defineWorkflow({
      steps: { s: { language: "shell", code: "true", allow: { net: ["a.test", "b.test:8080"] } } },
    });
    for (const r of [lua, yaml, json]) {
      expect(r.ok).toBe(true);
      if (r.ok) expect(r.value.steps[0]?.allowNet).toEqual(["a.test", "b.test:8080"]);
    }
    expect(built.steps[0]?.allowNet).toEqual(["a.test", "b.test:8080"]);
    expect(defined.steps[0]?.allowNet).toEqual(["a.test", "b.test:8080"]);
    const lua2 = await parseWorkflowSource(
      `workflow = { steps = { s = { code = "x", language = "python", allow = { net = { "*.test" } } } } }`,
      { luaEvaluator, source: "w.lua" },
    );
    expect(lua2.ok).toBe(false);
    if (!lua2.ok)
      expect(lua2.error.message).toMatch(
        /steps\.s\.allow\.net\[0\]: "\*\.test": wildcards are not supported/,
      );
  });

  it("a step without allow.net has no grant", () => {
    const r = parseWorkflow({ steps: { a: { language: "python", code: "x" } } });
    expect(r.ok && r.value.steps[0]?.allowNet).toBeUndefined();
  });

  it("engine options bound responses and time, checked at construction", () => {
    const o = resolveEngineOptions({}, 2);
    expect([o.netResponseLimit, o.netTimeout]).toEqual([10 * 1024 * 1024, 30]);
    expect(() => resolveEngineOptions({ netResponseLimit: 1.5 }, 2)).toThrow(
      "options.netResponseLimit must be a positive integer, got 1.5",
    );
    expect(() => resolveEngineOptions({ netTimeout: -1 }, 2)).toThrow(
      "options.netTimeout must be a positive number, got -1",
    );
  });
});
