/**
 * The CLI's node:http client (src/cli/http-client.ts) against a real HTTP server: what
 * fetch gave the CLI (status, JSON, a streamed body, abort, refusal) and no undici.
 */
import { execFile } from "node:child_process";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { httpFetch } from "../../src/cli/http-client.js";
import { readSse } from "../../src/server/sse-client.js";

let server: Server;
let base: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => {
      body += c;
    });
    req.on("end", () => {
      if (req.url === "/echo") {
        res.writeHead(201, { "Content-Type": "application/json" });
        res.end(
          JSON.stringify({
            method: req.method,
            length: req.headers["content-length"],
            auth: req.headers.authorization,
            body,
          }),
        );
      } else if (req.url === "/events") {
        res.writeHead(200, { "Content-Type": "text/event-stream" });
        res.write('id: 1\ndata: {"a"');
        setTimeout(() => res.end(":1}\n\nid: 2\ndata: two\n\n"), 20);
      } else if (req.url === "/hang") {
        res.writeHead(200);
        res.write("x");
      } else {
        res.writeHead(404, { "Content-Type": "text/plain" });
        res.end("not json");
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

describe("httpFetch", () => {
  it("sends a body with its length and headers, and parses the JSON answer", async () => {
    const body = JSON.stringify({ name: "é" });
    const answer = await httpFetch(`${base}/echo`, {
      method: "POST",
      headers: { Authorization: "Bearer t" },
      body,
    });
    expect(answer.status).toBe(201);
    expect(answer.ok).toBe(true);
    expect(await answer.json()).toEqual({
      method: "POST",
      length: String(Buffer.byteLength(body)),
      auth: "Bearer t",
      body,
    });
  });

  it("answers a status outside 2xx as not ok, and a body that is not JSON rejects json()", async () => {
    const answer = await httpFetch(`${base}/missing`);
    expect(answer.ok).toBe(false);
    expect(answer.status).toBe(404);
    await expect(answer.json()).rejects.toThrow(SyntaxError);
  });

  it("streams the body: SSE messages cut across chunks are read whole", async () => {
    const answer = await httpFetch(`${base}/events`);
    const data: string[] = [];
    await readSse(answer.body, (m) => data.push(`${m.id}:${m.data}`));
    expect(data).toEqual(['1:{"a":1}', "2:two"]);
  });

  it("stops a request in flight when its signal aborts", async () => {
    const abort = new AbortController();
    const answer = await httpFetch(`${base}/hang`, { signal: abort.signal });
    const reading = (async () => {
      for await (const _ of answer.body);
    })();
    abort.abort();
    await expect(reading).rejects.toThrow(/abort/i);
  });

  it("rejects with the connection's error when nothing listens, and refuses other schemes", async () => {
    await expect(httpFetch("http://127.0.0.1:9/api/runs")).rejects.toThrow(/ECONNREFUSED/);
    await expect(httpFetch("ftp://127.0.0.1/x")).rejects.toThrow("only http: and https:");
  });

  it("speaks TLS for an https: URL", async () => {
    // A plain HTTP server cannot answer a TLS handshake: the error comes from TLS, not HTTP.
    await expect(httpFetch(`${base.replace("http:", "https:")}/echo`)).rejects.toThrow(
      /^TLS failed: wrong version number \(is it an http:\/\/ server\?\)$/,
    );
  });

  it("loads no undici (no wasm parser to compile, nothing to wait for at exit)", async () => {
    const script = `
      const { httpFetch } = await import(${JSON.stringify(join(import.meta.dirname, "../../dist/src/cli/http-client.js"))});
      const a = await httpFetch(${JSON.stringify(`${base}/echo`)}, { method: "POST", body: "{}" });
      await a.json();
      console.log(process.moduleLoadList.some((m) => m.includes("undici")));`;
    // Not spawnSync: the server answering it runs in this process.
    const out = await new Promise<{ stdout: string; stderr: string }>((resolve, reject) =>
      execFile(process.execPath, ["--input-type=module", "-e", script], (e, stdout, stderr) =>
        e ? reject(e) : resolve({ stdout, stderr }),
      ),
    );
    expect(out.stderr).toBe("");
    expect(out.stdout.trim()).toBe("false");
  });
});
