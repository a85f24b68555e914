/**
 * The CLI's requests to a `sandflow serve`, made with node:http (node:https for an https
 * URL) instead of the global `fetch`. Node's fetch is undici, whose HTTP parser is a wasm
 * module: the first request loads and compiles it (20 to 30 ms), V8 then optimizes its
 * parser on a helper thread, and a process that ends meanwhile waits for that compile
 * (60 to 90 ms measured at the exit of `run --server`). node:http parses in C++.
 */
import type { IncomingMessage } from "node:http";

/** What the CLI sends. */
export interface HttpRequestInit {
  readonly method?: string;
  readonly headers?: Record<string, string>;
  readonly body?: string;
  readonly signal?: AbortSignal;
}

/** An answer whose body has not been read yet (the part of fetch's Response the CLI uses). */
export interface HttpAnswer {
  readonly status: number;
  readonly ok: boolean;
  /** The body as it arrives. */
  readonly body: AsyncIterable<Uint8Array>;
  /** The whole body parsed as JSON; rejects when it is not JSON. */
  json(): Promise<unknown>;
}

/** A request function with fetch's shape, for the parts of fetch the CLI uses. */
export type HttpFetch = (url: string, init?: HttpRequestInit) => Promise<HttpAnswer>;

function answerOf(res: IncomingMessage): HttpAnswer {
  const status = res.statusCode ?? 0;
  return {
    status,
    ok: status >= 200 && status < 300,
    body: res,
    json: async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of res) chunks.push(chunk as Buffer);
      return JSON.parse(Buffer.concat(chunks).toString("utf8"));
    },
  };
}

/**
 * Makes one request with node:http or node:https.
 * @throws Error (as fetch's TypeError does) when no answer arrives: refused, reset, bad URL, aborted.
 */
export const httpFetch: HttpFetch = async (url, init = {}) => {
  const target = new URL(url);
  if (target.protocol !== "http:" && target.protocol !== "https:")
    throw new Error(`${url}: only http: and https: servers are supported`);
  // Not import(): an ES import of node:http reads each of its exports, and the lazy
  // WebSocket, CloseEvent and MessageEvent getters among them load undici.
  const { request } =
    target.protocol === "https:"
      ? process.getBuiltinModule("node:https")
      : process.getBuiltinModule("node:http");
  const headers: Record<string, string> = { ...init.headers };
  if (init.body !== undefined) headers["Content-Length"] = String(Buffer.byteLength(init.body));
  return new Promise<HttpAnswer>((resolve, reject) => {
    const req = request(
      target,
      { method: init.method ?? "GET", headers, ...(init.signal ? { signal: init.signal } : {}) },
      (res) => resolve(answerOf(res)),
    );
    req.once("error", (e) => reject(readable(e)));
    req.end(init.body);
  });
};

/** OpenSSL's errors name its source file and more; the reason is what a user can act on. */
function readable(e: Error & { code?: string }): Error {
  const reason = /SSL routines:[^:]*:([^:]+)/.exec(e.message)?.[1];
  if (!reason) return e;
  const hint = reason.includes("wrong version number") ? " (is it an http:// server?)" : "";
  return Object.assign(new Error(`TLS failed: ${reason}${hint}`, { cause: e }), { code: e.code });
}
