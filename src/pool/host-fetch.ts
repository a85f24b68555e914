/**
 * The fetch the host performs for a step with a network grant (`allow.net`): the URL is
 * checked against the grant, every redirect is followed by hand and checked again, and
 * the response is bounded in size and time. Runs wherever the pool runs (Node's fetch or
 * the page's); never in a worker.
 */
import { checkNetUrl, MAX_REDIRECTS, type NetAccess } from "../core/net-grant.js";
import type { NetReplyMeta, NetRequest } from "../protocol/net-reply.js";

/** The fetch function the host uses (the platform's `fetch`). */
export type FetchFunction = (url: string, init: RequestInit) => Promise<Response>;

/** A reply: its meta and, for a response, its body. */
export interface HostFetchReply {
  readonly meta: NetReplyMeta;
  readonly body?: Uint8Array;
}

const METHODS = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]);
/** Headers a step may not set: they would let it speak for another host or frame its own requests. */
const DROPPED_HEADERS =
  /^(host|connection|content-length|transfer-encoding|keep-alive|upgrade|te|trailer|expect|proxy-.*|cookie2?)$/i;

class NetFailure extends Error {
  constructor(
    override readonly name: string,
    message: string,
  ) {
    super(message);
  }
}

/** Reads a body up to `max` bytes; more fails with NetworkLimitError. */
async function readBounded(response: Response, max: number, url: string): Promise<Uint8Array> {
  const tooLarge = () =>
    new NetFailure(
      "NetworkLimitError",
      `the response from ${url} is larger than the limit of ${max} bytes (engine option netResponseLimit)`,
    );
  const declared = Number(response.headers.get("content-length") ?? Number.NaN);
  if (declared > max) {
    await response.body?.cancel().catch(() => {});
    throw tooLarge();
  }
  if (!response.body) return new Uint8Array(0);
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel().catch(() => {});
      throw tooLarge();
    }
    chunks.push(value);
  }
  const out = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

function failureReply(e: unknown, url: string, access: NetAccess, timedOut: boolean): HostFetchReply {
  if (timedOut)
    return {
      meta: {
        ok: false,
        name: "NetworkLimitError",
        message: `the request to ${url} took more than the limit of ${access.timeoutMs / 1000} s (engine option netTimeout)`,
      },
    };
  if (e instanceof NetFailure) return { meta: { ok: false, name: e.name, message: e.message } };
  const cause = (e as { cause?: { code?: unknown; message?: unknown } }).cause;
  const why = typeof cause?.code === "string" ? cause.code : String(cause?.message ?? (e as Error).message);
  return { meta: { ok: false, name: "NetworkError", message: `the request to ${url} failed: ${why}` } };
}

/** Performs one request of step `stepId` under `access`; never throws. */
export async function hostFetch(
  request: NetRequest,
  access: NetAccess,
  stepId: string,
  fetchFunction: FetchFunction,
): Promise<HostFetchReply> {
  const method = request.method.toUpperCase();
  if (!METHODS.has(method))
    return {
      meta: {
        ok: false,
        name: "NetworkError",
        message: `the method ${JSON.stringify(request.method.slice(0, 40))} is not supported`,
      },
    };
  if ((request.body?.byteLength ?? 0) > access.maxBytes)
    return {
      meta: {
        ok: false,
        name: "NetworkLimitError",
        message: `the request body is larger than the limit of ${access.maxBytes} bytes (engine option netResponseLimit)`,
      },
    };
  const first = checkNetUrl(request.url, access.hosts, stepId);
  if (!first.ok) return { meta: { ok: false, name: first.name, message: first.message } };
  let headers = request.headers.filter(([name]) => !DROPPED_HEADERS.test(name));
  const abort = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    abort.abort();
  }, access.timeoutMs);
  let url = first.href;
  try {
    let current = { method, body: method === "GET" || method === "HEAD" ? undefined : request.body };
    for (let hop = 0; ; hop++) {
      const response = await fetchFunction(url, {
        method: current.method,
        headers: headers as [string, string][],
        ...(current.body ? { body: current.body as BodyInit } : {}),
        redirect: "manual",
        signal: abort.signal,
        credentials: "omit",
      });
      if (response.type === "opaqueredirect")
        throw new NetFailure(
          "NetworkDeniedError",
          `${url} redirects, and this platform's fetch does not show where to, so the redirect cannot be checked against the grant: refused`,
        );
      const location = response.headers.get("location");
      if ([301, 302, 303, 307, 308].includes(response.status) && location !== null) {
        await response.body?.cancel().catch(() => {});
        if (hop >= MAX_REDIRECTS)
          throw new NetFailure("NetworkError", `more than ${MAX_REDIRECTS} redirects from ${first.href}`);
        let next: string;
        try {
          next = new URL(location, url).href;
        } catch {
          throw new NetFailure("NetworkError", `${url} redirects to an invalid URL`);
        }
        const checked = checkNetUrl(next, access.hosts, stepId);
        if (!checked.ok)
          throw new NetFailure(checked.name, `redirect from ${url} refused: ${checked.message}`);
        // As browsers do: credentials meant for one origin do not follow a redirect to another.
        if (new URL(checked.href).origin !== new URL(url).origin)
          headers = headers.filter(([name]) => name.toLowerCase() !== "authorization");
        url = checked.href;
        if (
          response.status === 303 ||
          ((response.status === 301 || response.status === 302) && current.method === "POST")
        )
          current = { method: "GET", body: undefined };
        continue;
      }
      const body = await readBounded(response, access.maxBytes, url);
      return {
        meta: {
          ok: true,
          status: response.status,
          statusText: response.statusText,
          url,
          headers: [...response.headers],
        },
        body,
      };
    }
  } catch (e) {
    return failureReply(e, url, access, timedOut);
  } finally {
    clearTimeout(timer);
  }
}
