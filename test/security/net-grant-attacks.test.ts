/**
 * Escape attempts around network grants: a step granted one host tries to reach another
 * (a canary server that must see nothing) through URL parser tricks, redirects, headers,
 * methods and schemes, and by talking to the network device of its language directly;
 * and a worker that lies about which step asks is refused by the host.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { workflow } from "../../src/core/builder.js";
import type { Engine } from "../../src/core/engine.js";
import { createEngine } from "../../src/node/create-engine.js";
import type { Batch } from "../../src/pool/batch-watchdog.js";
import { NetHandler } from "../../src/pool/net-handler.js";
import { CONTROL, createControlBlock } from "../../src/protocol/control-block.js";
import { createReplyBuffer, NET_REPLY, readReply } from "../../src/protocol/net-reply.js";
import { type NetTestServer, startNetServer } from "../net/net-server.js";

let granted: NetTestServer;
let canary: NetTestServer;
let engine: Engine;
let grant: { allow: { net: string[] } };

beforeAll(async () => {
  granted = await startNetServer();
  canary = await startNetServer();
  grant = { allow: { net: [`localhost:${granted.port}`, `127.0.0.1:${granted.port}`] } };
  engine = createEngine({ threads: 1, netTimeout: 3 });
});
afterAll(async () => {
  await engine?.close();
  await granted?.close();
  await canary?.close();
});

/** A JavaScript step that fetches `url` (with `init`) and returns what happened. */
const jsTry = (url: string, init = "{}") => `async function run() {
  try { const r = await fetch(${JSON.stringify(url)}, ${init}); return "ESCAPED " + r.status + " " + (await r.text()); }
  catch (e) { return e.name + ": " + e.message; }
}`;

describe("URL tricks against a grant of localhost and 127.0.0.1 on one port", () => {
  it("every attempt is refused and the canary server sees no request", async () => {
    const g = granted.port;
    const c = canary.port;
    const attempts: Record<string, [string, RegExp]> = {
      userinfo: [`http://127.0.0.1:${g}@127.0.0.1:${c}/hello`, /NetworkDeniedError: URLs with user info/],
      userinfo_host_only: [
        `http://localhost@127.0.0.1:${c}/hello`,
        /NetworkDeniedError: URLs with user info/,
      ],
      ipv6_loopback: [`http://[::1]:${c}/hello`, /NetworkDeniedError: host \[::1\]:\d+ not granted/],
      ipv4_mapped_ipv6: [
        `http://[::ffff:127.0.0.1]:${g}/hello`,
        /NetworkDeniedError: host \[::ffff:7f00:1\]:\d+ not granted/,
      ],
      uppercase_other_port: [
        `http://LOCALHOST:${c}/hello`,
        /NetworkDeniedError: host localhost:\d+ not granted/,
      ],
      trailing_dot: [`http://localhost.:${g}/hello`, /NetworkDeniedError: host localhost\.:\d+ not granted/],
      decimal_ip_other_port: [
        `http://2130706433:${c}/hello`,
        /NetworkDeniedError: host 127\.0\.0\.1:\d+ not granted/,
      ],
      other_loopback_address: [
        `http://127.0.0.2:${g}/hello`,
        /NetworkDeniedError: host 127\.0\.0\.2:\d+ not granted/,
      ],
      zero_address: [`http://0.0.0.0:${c}/hello`, /NetworkDeniedError: host 0\.0\.0\.0:\d+ not granted/],
      fragment_at: [
        `http://127.0.0.1:${c}#@localhost:${g}/`,
        /NetworkDeniedError: host 127\.0\.0\.1:\d+ not granted/,
      ],
      backslash: [`http://127.0.0.1:${c}\\@localhost:${g}/`, /NetworkDeniedError/],
      file_scheme: [
        "file:///etc/passwd",
        /NetworkDeniedError: only http: and https: URLs can be fetched, not file:/,
      ],
      data_scheme: ["data:text/plain,ESCAPED", /NetworkDeniedError: only http: and https:/],
      relative: ["/hello", /NetworkError: "\/hello" is not a URL/],
      redirect_away: [
        `http://127.0.0.1:${g}/redirect?to=${encodeURIComponent(`http://127.0.0.1:${c}/hello`)}`,
        /NetworkDeniedError: redirect from .* refused: host 127\.0\.0\.1:\d+ not granted/,
      ],
      redirect_via_granted_then_away: [
        `http://localhost:${g}/redirect?to=${encodeURIComponent(`http://127.0.0.1:${g}/redirect?to=${encodeURIComponent(`http://[::1]:${c}/`)}`)}`,
        /NetworkDeniedError: redirect from .* refused: host \[::1\]:\d+ not granted/,
      ],
      redirect_to_userinfo: [
        `http://127.0.0.1:${g}/redirect?to=${encodeURIComponent(`http://127.0.0.1:${g}@127.0.0.1:${c}/`)}`,
        /NetworkDeniedError: redirect from .* refused: URLs with user info/,
      ],
      redirect_to_file: [
        `http://127.0.0.1:${g}/redirect?to=${encodeURIComponent("file:///etc/passwd")}`,
        /NetworkDeniedError: redirect from .* refused: only http: and https:/,
      ],
      redirect_loop: [`http://127.0.0.1:${g}/loop`, /NetworkError: more than 5 redirects/],
    };
    let wf = workflow("url-tricks");
    for (const [id, [url]] of Object.entries(attempts)) wf = wf.js(id, jsTry(url), grant);
    wf = wf
      .js(
        "crlf_header",
        jsTry(`http://127.0.0.1:${g}/echo`, `{ headers: { "X-Custom": "a\\r\\nHost: 127.0.0.1:${c}" } }`),
        grant,
      )
      .js("connect_method", jsTry(`http://127.0.0.1:${g}/echo`, `{ method: "CONNECT" }`), grant)
      .js("trace_method", jsTry(`http://127.0.0.1:${g}/echo`, `{ method: "TRACE" }`), grant);
    const report = await engine.run(wf.build());
    for (const [id, [, expected]] of Object.entries(attempts))
      expect(report.steps[id]?.output, id).toMatch(expected);
    expect(report.steps.crlf_header?.output).toMatch(/^NetworkError: /);
    expect(report.steps.connect_method?.output).toMatch(
      /^NetworkError: the method "CONNECT" is not supported/,
    );
    expect(report.steps.trace_method?.output).toMatch(/^NetworkError: the method "TRACE" is not supported/);
    expect(canary.seen).toEqual([]);
  });

  it("headers cannot name another host, Authorization stays within its origin, a granted name in another case still works", async () => {
    const g = granted.port;
    // Both origins are granted; Authorization follows a redirect only within one origin.
    const authVia = (to: string) => `async function run() {
  const r = await fetch("http://localhost:${g}/redirect?to=" + encodeURIComponent(${JSON.stringify(to)}), { headers: { Authorization: "Bearer t" } });
  return (await r.json()).auth;
}`;
    const report = await engine.run(
      workflow("headers")
        .js(
          "host_header",
          `async function run() {
  const r = await fetch("http://LocalHost:${g}/echo", { headers: { Host: "127.0.0.1:${canary.port}", "X-Custom": "kept" } });
  return await r.json();
}`,
          grant,
        )
        .js("auth_same_origin", authVia(`http://localhost:${g}/echo`), grant)
        .js("auth_cross_origin", authVia(`http://127.0.0.1:${g}/echo`), grant)
        .build(),
    );
    expect(report.steps.auth_same_origin?.output).toBe("Bearer t");
    expect(report.steps.auth_cross_origin?.output).toBeNull();
    expect(report.steps.host_header?.output).toEqual({
      method: "GET",
      host: `localhost:${g}`,
      custom: "kept",
      auth: null,
      body: "",
    });
    expect(canary.seen).toEqual([]);
  });
});

describe("talking to the network devices directly", () => {
  it("garbage and requests for other hosts are refused; the engine survives", async () => {
    const c = canary.port;
    const raw = (url: string) => `{"url": "${url}", "method": "GET", "headers": []}`;
    const report = await engine.run(
      workflow("devices")
        .python(
          "py_raw_other",
          `import os
def run():
    meta = b'${raw(`http://127.0.0.1:${c}/hello`)}'
    fd = os.open("/dev/sandflow-net", os.O_RDWR)
    os.write(fd, len(meta).to_bytes(4, "big") + meta)
    data = os.read(fd, 1 << 16)
    os.close(fd)
    return data[4:].decode()`,
          grant,
        )
        .python(
          "py_garbage",
          `import os
def run():
    out = []
    for junk in (b"", b"\\xff\\xff\\xff\\xff", b"\\x00\\x00\\x00\\x05{}{}{}", os.urandom(4096)):
        fd = os.open("/dev/sandflow-net", os.O_RDWR)
        os.write(fd, junk) if junk else None
        out.append(os.read(fd, 4096)[4:].decode("utf-8", "replace"))
        os.close(fd)
    return out`,
          grant,
        )
        .shell(
          "sh_raw_other",
          `exec 3<>/dev/sandflow-net; printf 'GET\\nhttp://127.0.0.1:${c}/hello\\n\\n' >&3; cat <&3`,
          grant,
        )
        .shell(
          "sh_garbage",
          "head -c 5000 /dev/urandom > /dev/sandflow-net; cat /dev/sandflow-net; echo done",
          grant,
        )
        .js("after", jsTry(`http://127.0.0.1:${granted.port}/hello`), grant)
        .build(),
    );
    expect(JSON.parse(report.steps.py_raw_other?.output as string)).toMatchObject({
      ok: false,
      name: "NetworkDeniedError",
    });
    for (const reply of (report.steps.py_garbage?.output ?? []) as string[])
      expect(JSON.parse(reply)).toMatchObject({ ok: false });
    expect(report.steps.sh_raw_other?.output).toMatchObject({
      stdout: expect.stringMatching(
        /^ERROR NetworkDeniedError: host 127\.0\.0\.1:\d+ not granted to step sh_raw_other/,
      ),
    });
    expect(report.steps.sh_garbage?.status).toBe("succeeded");
    expect(report.steps.after?.output).toBe("ESCAPED 200 hello from the host");
    expect(canary.seen).toEqual([]);
  });
});

describe("the host never trusts the worker", () => {
  /** A batch of two tasks as the pool holds it: the first granted, the second not. */
  function batch(current: number): Batch {
    const control = createControlBlock(2);
    const cells = new Int32Array(control);
    Atomics.store(cells, CONTROL.CURRENT, current);
    const task = (stepId: string, hosts?: string[]) => ({
      task: {
        stepId,
        ...(hosts ? { net: { hosts, maxBytes: 1024, timeoutMs: 1000 } } : {}),
      },
      done: false,
    });
    return {
      id: 1,
      items: [task("granted", [`127.0.0.1:${canary.port}`]), task("plain")],
      cells,
    } as unknown as Batch;
  }

  async function ask(b: Batch | undefined, index: number, url: string, extra: object = {}) {
    const reply = createReplyBuffer(1024);
    new NetHandler().handle(
      {
        type: "net-request",
        batchId: 1,
        index,
        request: { url, method: "GET", headers: [] },
        reply,
        ...extra,
      },
      b,
    );
    const cells = new Int32Array(reply, 0, 4);
    const deadline = Date.now() + 500;
    while (Atomics.load(cells, NET_REPLY.STATE) === 0 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 10));
    return Atomics.load(cells, NET_REPLY.STATE) === 0 ? undefined : readReply(reply).meta;
  }

  it("refuses a step that is not the one running, a step without a grant, and malformed requests", async () => {
    const url = `http://127.0.0.1:${canary.port}/hello`;
    // The granted step is not running: the worker claims its index while the plain one runs.
    expect(await ask(batch(1), 0, url)).toEqual({
      ok: false,
      name: "NetworkDeniedError",
      message: "only a running step may make network requests",
    });
    expect(await ask(batch(1), 1, url)).toEqual({
      ok: false,
      name: "NetworkDeniedError",
      message: "step plain has no network grant (allow.net)",
    });
    // Malformed: no answer at all (the step waits until its own limit), and no request made.
    expect(await ask(batch(0), 0, url, { reply: new ArrayBuffer(16) })).toBeUndefined();
    expect(await ask(undefined, 0, url)).toBeUndefined();
    expect(await ask(batch(0), 7, url)).toBeUndefined();
    expect(canary.seen).toEqual([]);
  });
});
