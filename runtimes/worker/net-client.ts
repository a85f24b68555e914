/**
 * The worker side of a step's network requests: a synchronous fetch that asks the host
 * (see src/protocol/net-reply.ts) and blocks until it answers, so that synchronous APIs
 * (Python's urllib, shell wget) can use it as well as fetch-like ones. The grant is
 * checked here only for a quick, clear error; the host checks it again and decides.
 */
import { checkNetUrl } from "../../src/core/net-grant.js";
import type { WireStepTask, WorkerEvent } from "../../src/protocol/messages.js";
import { createReplyBuffer, NET_REPLY, type NetRequest, readReply } from "../../src/protocol/net-reply.js";

/** A response the host fetched. */
export interface NetResponse {
  readonly status: number;
  readonly statusText: string;
  /** The URL of the final response (after redirects). */
  readonly url: string;
  readonly headers: readonly (readonly [string, string])[];
  readonly body: Uint8Array;
}

/** A request's result: a response (any status) or a failure named like the report's errors. */
export type NetResult =
  | { readonly ok: true; readonly response: NetResponse }
  | { readonly ok: false; readonly error: { readonly name: string; readonly message: string } };

/** Performs one request for the running step, blocking until the host answers. */
export interface NetFetch {
  (request: NetRequest): NetResult;
  /** Whether the step has a grant at all (without one, every request is denied). */
  readonly granted: boolean;
}

/** How long (ms) the worker waits past the request's own time limit before giving up on the host. */
const HOST_SLACK_MS = 5000;
/** The wait is sliced so that an interrupt (timeout, cancel) is noticed. */
const SLICE_MS = 50;

/** The network access of one step attempt. */
export function netClient(
  task: WireStepTask,
  post: (event: WorkerEvent) => void,
  batchId: number,
  index: number,
  interrupted: () => boolean,
): NetFetch {
  const fetch = (request: NetRequest): NetResult => {
    const access = task.net;
    const check = checkNetUrl(request.url, access?.hosts ?? [], task.stepId);
    if (!check.ok) return { ok: false, error: { name: check.name, message: check.message } };
    if (!access) return { ok: false, error: { name: "NetworkDeniedError", message: "no network grant" } };
    const reply = createReplyBuffer(access.maxBytes);
    const cells = new Int32Array(reply, 0, 4);
    post({
      type: "net-request",
      batchId,
      index,
      request: { ...request, url: check.href, headers: [...request.headers].map(([k, v]) => [k, v]) },
      reply,
    });
    const deadline = Date.now() + access.timeoutMs + HOST_SLACK_MS;
    while (Atomics.load(cells, NET_REPLY.STATE) === 0) {
      if (interrupted())
        return {
          ok: false,
          error: { name: "StepTimeoutError", message: `interrupted while fetching ${check.href}` },
        };
      if (Date.now() > deadline)
        return {
          ok: false,
          error: {
            name: "NetworkLimitError",
            message: `the host did not answer the request to ${check.href}`,
          },
        };
      Atomics.wait(cells, NET_REPLY.STATE, 0, SLICE_MS);
    }
    const { meta, body } = readReply(reply);
    if (!meta.ok) return { ok: false, error: { name: meta.name, message: meta.message } };
    return {
      ok: true,
      response: {
        status: meta.status,
        statusText: meta.statusText,
        url: meta.url,
        headers: meta.headers,
        body,
      },
    };
  };
  return Object.assign(fetch, { granted: task.net !== undefined });
}
