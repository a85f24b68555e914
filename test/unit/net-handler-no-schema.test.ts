/**
 * The pool's network handler loads the worker-event schema with the first request. If that
 * load fails, the request is refused at once (not left unanswered until the step's limit)
 * and the next request tries the load again.
 */
import { describe, expect, it, vi } from "vitest";
import { NetHandler } from "../../src/pool/net-handler.js";
import { createReplyBuffer, NET_REPLY, readReply } from "../../src/protocol/net-reply.js";

const state = vi.hoisted(() => ({ loads: 0 }));
vi.mock("../../src/protocol/messages.js", () => {
  state.loads++;
  throw new Error("module not readable");
});

async function ask(): Promise<unknown> {
  const reply = createReplyBuffer(1024);
  new NetHandler(() => Promise.reject(new Error("must not fetch"))).handle(
    {
      type: "net-request",
      batchId: 1,
      index: 0,
      request: { url: "http://127.0.0.1:9/", method: "GET", headers: [] },
      reply,
    },
    undefined,
  );
  const cells = new Int32Array(reply, 0, 4);
  await vi.waitFor(() => expect(Atomics.load(cells, NET_REPLY.STATE)).toBe(1), { timeout: 2000 });
  return readReply(reply).meta;
}

describe("a network request when the event schema cannot be loaded", () => {
  it("is refused with the reason, and the next request loads the schema again", async () => {
    const refusal = {
      ok: false,
      name: "NetworkDeniedError",
      message: expect.stringMatching(/^the host could not check the request: /),
    };
    expect(await ask()).toEqual(refusal);
    expect(await ask()).toEqual(refusal);
    expect(state.loads).toBe(2);
  });
});
