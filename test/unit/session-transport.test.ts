/**
 * The platform-free session transport over a scripted adapter (the browser adapter has its
 * own tests in test/browser/web-worker-transport.test.ts): several requests per worker,
 * failures, broadcasts, memory through the port, replacement of a worker that ended, and
 * option checks.
 */
import { describe, expect, it } from "vitest";
import {
  SessionTransport,
  type WorkerPortEvents,
  type WorkerPorts,
} from "../../src/pool/session-transport.js";
import type { SessionToWorker, WorkerRequest, WorkerResponse } from "../../src/protocol/messages.js";

interface FakePort {
  readonly events: WorkerPortEvents;
  readonly received: SessionToWorker[];
  terminated: boolean;
}

function fakePorts(): { ports: WorkerPorts; started: FakePort[] } {
  const started: FakePort[] = [];
  const ports: WorkerPorts = {
    name: "fake workers",
    measuresMemory: true,
    start(events) {
      const port: FakePort = { events, received: [], terminated: false };
      started.push(port);
      return {
        readyAtStart: true,
        post: (message) => port.received.push(message),
        terminate: () => {
          port.terminated = true;
        },
        memory: async () => 1000 + started.indexOf(port),
      };
    },
  };
  return { ports, started };
}

const PREPARE: WorkerRequest = { type: "prepare", languages: ["lua"], memoryBytes: 1 };
const DONE: WorkerResponse = { type: "prepared", languages: ["lua"], loadMs: 1 };
const ids = (port: FakePort | undefined) =>
  (port?.received ?? []).flatMap((m) => (m.kind === "request" ? [m.id] : []));

describe("SessionTransport", () => {
  it("gives each worker up to requestsPerWorker requests, the least loaded first", async () => {
    const { ports, started } = fakePorts();
    const transport = new SessionTransport(ports, { threads: 2, requestsPerWorker: 2 });
    const sent = [1, 2, 3, 4, 5].map(() => transport.send(PREPARE));
    for (const s of sent) s.response.catch(() => {}); // the ones left reject on close
    const [a, b] = started;
    expect([ids(a).length, ids(b).length]).toEqual([2, 2]);
    a?.events.message({ kind: "response", id: ids(a)[0] ?? 0, response: DONE });
    await expect(sent[0]?.response).resolves.toEqual(DONE);
    expect(ids(a).length).toBe(3);
    await transport.close();
    await expect(sent[4]?.response).rejects.toThrow("the worker pool is closed");
  });

  it("rejects a request its worker failed, with the worker's message", async () => {
    const { ports, started } = fakePorts();
    const transport = new SessionTransport(ports, { threads: 1 });
    const sent = transport.send(PREPARE);
    const error = { name: "Error", message: "no such language" };
    started[0]?.events.message({ kind: "failure", id: ids(started[0])[0] ?? 0, error });
    await expect(sent.response).rejects.toThrow("no such language");
    expect(started[0]?.terminated).toBe(false);
    await transport.close();
  });

  it("broadcasts to every worker and measures the one holding a request", async () => {
    const { ports, started } = fakePorts();
    const transport = new SessionTransport(ports, { threads: 2 });
    transport.broadcast({ type: "run-ended", runId: "r" });
    expect(started.map((p) => p.received.filter((m) => m.kind === "broadcast").length)).toEqual([1, 1]);
    const sent = transport.send(PREPARE);
    sent.response.catch(() => {}); // rejects on close
    expect(await sent.memory?.()).toBe(1000);
    await transport.close();
  });

  it("replaces a worker that ended and rejects what it held", async () => {
    const { ports, started } = fakePorts();
    const transport = new SessionTransport(ports, { threads: 1 });
    const sent = transport.send(PREPARE);
    started[0]?.events.ended(new Error("out of memory"));
    await expect(sent.response).rejects.toThrow("out of memory");
    expect(started).toHaveLength(2);
    const next = transport.send(PREPARE);
    started[1]?.events.message({ kind: "response", id: ids(started[1])[0] ?? 0, response: DONE });
    await expect(next.response).resolves.toEqual(DONE);
    await transport.close();
  });

  it("names a bad option", () => {
    expect(() => new SessionTransport(fakePorts().ports, { threads: 1, stallMs: -1 })).toThrow(
      "options.stallMs must be a positive number of milliseconds",
    );
  });
});
