/**
 * Network grants end to end in Node (the isolated pool process): a step with
 * `allow.net` reaches its granted host through the host's fetch in every language that
 * has one; other hosts, other ports, redirects elsewhere, oversized and slow responses
 * fail inside the step with errors naming why; the engine keeps serving.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { workflow } from "../../src/core/builder.js";
import type { Engine } from "../../src/core/engine.js";
import type { StepReport } from "../../src/core/report.js";
import { createEngine } from "../../src/node/create-engine.js";
import { type NetTestServer, startNetServer } from "./net-server.js";

let server: NetTestServer;
let other: NetTestServer;
let engine: Engine;
let grant: { allow: { net: string[] } };

beforeAll(async () => {
  server = await startNetServer();
  other = await startNetServer();
  grant = { allow: { net: [`127.0.0.1:${server.port}`] } };
  engine = createEngine({ threads: 1, netResponseLimit: 64 * 1024, netTimeout: 2 });
});
afterAll(async () => {
  await engine?.close();
  await server?.close();
  await other?.close();
});

const failure = (s: StepReport | undefined) => `${s?.error?.name}: ${s?.error?.message}`;

describe("a granted host", () => {
  it("is reached from Python (urllib, pyfetch), JavaScript (fetch) and shell (wget)", async () => {
    const o = server.origin;
    const report = await engine.run(
      workflow("granted")
        .python(
          "py_urllib",
          `import urllib.request, json
def run():
    req = urllib.request.Request("${o}/echo", data=b"from urllib", headers={"X-Custom": "u"}, method="PUT")
    with urllib.request.urlopen(req, timeout=5) as r:
        return {"status": r.status, "type": r.headers["content-type"], "echo": json.loads(r.read())}`,
          grant,
        )
        .python(
          "py_pyfetch",
          `from pyodide.http import pyfetch
async def run():
    r = await pyfetch("${o}/json")
    return {"ok": r.ok, "status": r.status, "json": await r.json()}`,
          grant,
        )
        .python(
          "py_asyncio",
          `import asyncio
from pyodide.http import pyfetch
async def get():
    return await (await pyfetch("${o}/hello")).text()
def run():
    return asyncio.run(get())`,
          grant,
        )
        .js(
          "js_fetch",
          `async function run() {
  const r = await fetch("${o}/echo", { method: "POST", body: "from js", headers: { "X-Custom": "j" } });
  const hello = await fetch(new String("${o}/hello"));
  return { ok: r.ok, status: r.status, type: r.headers.get("Content-Type"), echo: await r.json(), hello: await hello.text() };
}`,
          grant,
        )
        .shell("sh_wget", `wget -q -O- ${o}/json`, grant)
        .shell(
          "sh_wget_file",
          `wget -O page.txt ${o}/hello 2>/tmp/log && cat page.txt && cat /tmp/log >&2`,
          grant,
        )
        .build(),
    );
    const out = (id: string) => report.steps[id]?.output;
    expect(report.status, JSON.stringify(report.steps)).toBe("succeeded");
    expect(out("py_urllib")).toEqual({
      status: 200,
      type: "application/json",
      echo: { method: "PUT", host: `127.0.0.1:${server.port}`, custom: "u", auth: null, body: "from urllib" },
    });
    expect(out("py_pyfetch")).toEqual({ ok: true, status: 200, json: { answer: 42, list: [1, 2, 3] } });
    expect(out("py_asyncio")).toBe("hello from the host");
    expect(out("js_fetch")).toEqual({
      ok: true,
      status: 200,
      type: "application/json",
      echo: { method: "POST", host: `127.0.0.1:${server.port}`, custom: "j", auth: null, body: "from js" },
      hello: "hello from the host",
    });
    expect(out("sh_wget")).toEqual({ answer: 42, list: [1, 2, 3] });
    expect(report.steps.sh_wget_file?.stdout).toBe("hello from the host");
    expect(report.steps.sh_wget_file?.stderr).toBe(
      `Connecting to 127.0.0.1:${server.port} (127.0.0.1:${server.port})\nsaving to 'page.txt'\n'page.txt' saved\n`,
    );
  });

  it("answers HTTP errors as responses: urllib raises HTTPError, fetch resolves, wget exits 1 like busybox", async () => {
    const url = `${server.origin}/status?code=404`;
    const report = await engine.run(
      workflow("http-errors")
        .python(
          "py",
          `import urllib.request, urllib.error
def run():
    try:
        urllib.request.urlopen("${url}")
    except urllib.error.HTTPError as e:
        return [e.code, e.read().decode()]`,
          grant,
        )
        .js(
          "js",
          `async function run() { const r = await fetch("${url}"); return [r.ok, r.status, await r.text()]; }`,
          grant,
        )
        .shell("sh", `wget -q -O- "${url}"`, grant)
        .build(),
    );
    expect(report.steps.py?.output).toEqual([404, "status 404"]);
    expect(report.steps.js?.output).toEqual([false, 404, "status 404"]);
    expect(failure(report.steps.sh)).toBe(
      "StepRuntimeError: shell step exited with status 1: wget: server returned error: HTTP/1.1 404 Not Found",
    );
  });

  it("follows a redirect to a granted host", async () => {
    const report = await engine.run(
      workflow("redirect-ok")
        .js(
          "js",
          `async function run() { const r = await fetch("${server.origin}/redirect?to=/json"); return [r.url, await r.json()]; }`,
          grant,
        )
        .build(),
    );
    expect(report.steps.js?.output).toEqual([`${server.origin}/json`, { answer: 42, list: [1, 2, 3] }]);
  });
});

describe("everything else", () => {
  it("fails inside the step with an error naming the host, the limit or the missing grant; the engine keeps serving", async () => {
    const o = server.origin;
    const seenBefore = other.seen.length;
    const pyGet = (url: string) => `import urllib.request
def run():
    return urllib.request.urlopen("${url}").read().decode()`;
    const report = await engine.run(
      workflow("denied")
        .python("py_other_port", pyGet(`${other.origin}/hello`), grant)
        .python("py_no_grant", pyGet(`${o}/hello`))
        .js(
          "js_other_port",
          `async function run() { return (await fetch("${other.origin}/hello")).status; }`,
          grant,
        )
        .js(
          "js_localhost",
          `async function run() { return (await fetch("http://localhost:${server.port}/hello")).status; }`,
          grant,
        )
        .js(
          "js_redirect_away",
          `async function run() { return (await fetch("${o}/redirect?to=${encodeURIComponent(`${other.origin}/hello`)}")).status; }`,
          grant,
        )
        .js(
          "js_too_big",
          `async function run() { return (await (await fetch("${o}/big?n=200000")).text()).length; }`,
          grant,
        )
        .js("js_slow", `async function run() { return (await fetch("${o}/slow?ms=5000")).status; }`, grant)
        .shell("sh_other_port", `wget -q -O- ${other.origin}/hello`, grant)
        .js("js_no_grant", "function run() { return typeof fetch; }")
        .shell("sh_no_grant", `wget -q -O- ${o}/hello`)
        .python("py_too_big", pyGet(`${o}/big?n=200000`), grant)
        .build(),
      { failFast: false },
    );
    const p = server.port;
    const q = other.port;
    expect(failure(report.steps.py_other_port)).toMatch(
      new RegExp(
        `^StepRuntimeError: sandflow.NetworkDeniedError: host 127.0.0.1:${q} not granted to step py_other_port\n`,
      ),
    );
    expect(failure(report.steps.py_no_grant)).toMatch(
      /^StepRuntimeError: sandflow.NetworkDeniedError: step py_no_grant has no network grant \(allow.net\)\n/,
    );
    expect(failure(report.steps.js_other_port)).toMatch(
      new RegExp(
        `^StepRuntimeError: NetworkDeniedError: host 127.0.0.1:${q} not granted to step js_other_port`,
      ),
    );
    expect(failure(report.steps.js_localhost)).toMatch(
      `NetworkDeniedError: host localhost:${p} not granted to step js_localhost`,
    );
    expect(failure(report.steps.js_redirect_away)).toMatch(
      `NetworkDeniedError: redirect from ${o}/redirect?to=${encodeURIComponent(`${other.origin}/hello`)} refused: host 127.0.0.1:${q} not granted to step js_redirect_away`,
    );
    expect(failure(report.steps.js_too_big)).toMatch(
      `NetworkLimitError: the response from ${o}/big?n=200000 is larger than the limit of 65536 bytes (engine option netResponseLimit)`,
    );
    expect(failure(report.steps.py_too_big)).toMatch("sandflow.NetworkLimitError: the response from");
    expect(failure(report.steps.js_slow)).toMatch(
      `NetworkLimitError: the request to ${o}/slow?ms=5000 took more than the limit of 2 s (engine option netTimeout)`,
    );
    expect(failure(report.steps.sh_other_port)).toBe(
      `StepRuntimeError: shell step exited with status 1: wget: NetworkDeniedError: host 127.0.0.1:${q} not granted to step sh_other_port`,
    );
    // As in every step without a grant: JavaScript has no fetch at all.
    expect(report.steps.js_no_grant?.output).toBe("undefined");
    expect(failure(report.steps.sh_no_grant)).toBe(
      "StepRuntimeError: shell step exited with status 1: wget: NetworkDeniedError: step sh_no_grant has no network grant (allow.net)",
    );
    const after = await engine.run(
      workflow("after")
        .js("js", `async function run() { return await (await fetch("${o}/hello")).text(); }`, grant)
        .build(),
    );
    expect(after.steps.js?.output).toBe("hello from the host");
    // Nothing reached the other server: not the redirect, not the other port.
    expect(other.seen.length).toBe(seenBefore);
  });

  it("a step's own timeout stops it while it waits for the host", async () => {
    const report = await engine.run(
      workflow("timeout")
        .python(
          "py",
          `import urllib.request
def run():
    return urllib.request.urlopen("${server.origin}/slow?ms=1900").read().decode()`,
          { ...grant, timeout: 0.5 },
        )
        .build(),
    );
    expect(report.steps.py?.error?.name).toBe("StepTimeoutError");
  });
});

describe("the engine's ceiling (netHosts)", () => {
  it("fails a step granted a host the engine does not allow, without running it; bad entries fail at construction", async () => {
    const ceiling = createEngine({ threads: 1, netHosts: [`127.0.0.1:${server.port}`] });
    try {
      const report = await ceiling.run(
        workflow("ceiling")
          .js(
            "inside",
            `async function run() { return (await fetch("${server.origin}/hello")).status; }`,
            grant,
          )
          .js("outside", "function run() { return 'ran'; }", {
            allow: { net: [`127.0.0.1:${server.port}`, `127.0.0.1:${other.port}`] },
          })
          .build(),
        { failFast: false },
      );
      expect(report.steps.inside?.output).toBe(200);
      expect(failure(report.steps.outside)).toBe(
        `StepRuntimeError: step 'outside' is granted '127.0.0.1:${other.port}', which the engine does not allow (engine option netHosts)`,
      );
    } finally {
      await ceiling.close();
    }
    expect(() => createEngine({ netHosts: ["https://x.test"] })).toThrow(
      'options.netHosts[0] must be "host" or "host:port": "https://x.test" must be host[:port] without a scheme',
    );
  });
});
