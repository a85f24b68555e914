/**
 * The Web Worker transport with scripted workers (no browser needed): queueing while every
 * worker is busy, kill and replacement, rejection of what a dead worker held, events,
 * snapshot requests, giving up on workers that cannot start, and replacing workers that stop
 * answering outside a step.
 */
import { describe, expect, it } from "vitest";
import { WebWorkerTransport } from "../../src/browser/web-worker-transport.js";
import type { PageMessage, SnapshotSource } from "../../src/protocol/browser-wire.js";
import type { WorkerRequest, WorkerResponse } from "../../src/protocol/messages.js";

class FakeWorker extends EventTarget {
  readonly received: PageMessage[] = [];
  terminated = false;
  postMessage(message: PageMessage): void {
    this.received.push(message);
  }
  terminate(): void {
    this.terminated = true;
  }
  send(data: unknown): void {
    this.dispatchEvent(new MessageEvent("message", { data }));
  }
  crash(message: string): void {
    this.dispatchEvent(Object.assign(new Event("error", { cancelable: true }), { message }));
  }
  requests(): Extract<PageMessage, { kind: "request" }>[] {
    return this.received.filter((m) => m.kind === "request");
  }
}

const ASSETS = {
  pyodideIndexURL: "http://x/pyodide/",
  luaWasmURL: "http://x/g.wasm",
  busyboxWasmURL: "http://x/b.wasm",
  quickjsWasmURL: "http://x/q.wasm",
};
const PREPARE: WorkerRequest = { type: "prepare", languages: ["lua"], memoryBytes: 1 };
const DONE: WorkerResponse = { type: "prepared", languages: ["lua"], loadMs: 1 };

function setup(
  threads: number,
  snapshot?: SnapshotSource,
  liveness: { pingEveryMs?: number; stallMs?: number } = {},
) {
  const workers: FakeWorker[] = [];
  const transport = new WebWorkerTransport({
    threads,
    assets: ASSETS,
    createWorker: () => {
      const w = new FakeWorker();
      workers.push(w);
      return w as unknown as Worker;
    },
    ...(snapshot ? { snapshot } : {}),
    ...liveness,
  });
  return { transport, workers };
}

const tick = () => new Promise((r) => setTimeout(r, 0));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("WebWorkerTransport", () => {
  it("sends init first, waits for ready, and queues while every worker is busy", async () => {
    const { transport, workers } = setup(2);
    expect(workers.map((w) => w.received[0]?.kind)).toEqual(["init", "init"]);
    const a = transport.send(PREPARE);
    const b = transport.send(PREPARE);
    const c = transport.send(PREPARE);
    expect(workers.flatMap((w) => w.requests())).toEqual([]);
    for (const w of workers) w.send({ kind: "ready" });
    const [w0, w1] = workers as [FakeWorker, FakeWorker];
    expect([w0.requests().length, w1.requests().length]).toEqual([1, 1]);
    w0.send({ kind: "response", id: w0.requests()[0]?.id, response: DONE });
    await expect(a.response).resolves.toEqual(DONE);
    expect(w0.requests().length).toBe(2);
    w1.send({ kind: "response", id: w1.requests()[0]?.id, response: DONE });
    w0.send({ kind: "response", id: w0.requests()[1]?.id, response: DONE });
    await expect(Promise.all([b.response, c.response])).resolves.toEqual([DONE, DONE]);
    await transport.close();
    expect(workers.every((w) => w.terminated)).toBe(true);
  });

  it("kill terminates the worker, rejects its request and starts a replacement", async () => {
    const { transport, workers } = setup(1);
    workers[0]?.send({ kind: "ready" });
    const sent = transport.send(PREPARE);
    const queued = transport.send(PREPARE);
    sent.kill();
    await expect(sent.response).rejects.toThrow("the worker was stopped");
    expect(workers[0]?.terminated).toBe(true);
    expect(workers.length).toBe(2);
    workers[1]?.send({ kind: "ready" });
    expect(workers[1]?.requests().length).toBe(1);
    queued.kill();
    await expect(queued.response).rejects.toThrow();
    await transport.close();
  });

  it("a queued request killed before a worker took it rejects without killing anyone", async () => {
    const { transport, workers } = setup(1);
    const queued = transport.send(PREPARE);
    queued.kill();
    await expect(queued.response).rejects.toThrow("before a worker took it");
    expect(workers.length).toBe(1);
    expect(workers[0]?.terminated).toBe(false);
    await transport.close();
  });

  it("a worker that crashes rejects what it held and is replaced; stale messages are ignored", async () => {
    const { transport, workers } = setup(1);
    const events: unknown[] = [];
    transport.onEvent((e) => events.push(e));
    workers[0]?.send({ kind: "ready" });
    const sent = transport.send(PREPARE);
    workers[0]?.send({
      kind: "event",
      event: { type: "log", batchId: 1, index: 0, stream: "stdout", text: "x" },
    });
    workers[0]?.crash("boom");
    await expect(sent.response).rejects.toThrow("boom");
    workers[0]?.send({ kind: "event", event: { type: "log" } });
    expect(events).toHaveLength(1);
    expect(workers.length).toBe(2);
    await transport.close();
  });

  it("gives up after workers die three times before they are ready", async () => {
    const { transport, workers } = setup(1);
    const sent = transport.send(PREPARE);
    for (let i = 0; i < 3; i++) workers[i]?.crash("404 for the worker script");
    await expect(sent.response).rejects.toThrow("the browser workers could not start: 404");
    expect(workers.length).toBe(3);
    await expect(transport.send(PREPARE).response).rejects.toThrow("could not start");
    await transport.close();
  });

  it("answers snapshot requests with a valid key only, and passes on failed snapshots", async () => {
    const asked: string[] = [];
    const discarded: string[] = [];
    const { transport, workers } = setup(1, {
      get: async (key) => {
        asked.push(key);
        return new Uint8Array([1, 2]);
      },
      discard: (key) => discarded.push(key),
    });
    const w = workers[0] as FakeWorker;
    expect(w.received[0]).toMatchObject({ kind: "init", useSnapshot: true });
    w.send({ kind: "need-snapshot", key: "pyodide-314.0.7-0123456789abcd" });
    w.send({ kind: "need-snapshot", key: "../../etc" });
    await tick();
    expect(asked).toEqual(["pyodide-314.0.7-0123456789abcd"]);
    const answers = w.received.filter((m) => m.kind === "snapshot");
    expect(answers).toContainEqual({
      kind: "snapshot",
      key: "pyodide-314.0.7-0123456789abcd",
      bytes: new Uint8Array([1, 2]),
    });
    expect(answers).toContainEqual({ kind: "snapshot", key: "../../etc", bytes: undefined });
    w.send({ kind: "snapshot-failed", key: "pyodide-314.0.7-0123456789abcd", message: "bad" });
    w.send({ kind: "snapshot-failed", key: "nope", message: "bad" });
    expect(discarded).toEqual(["pyodide-314.0.7-0123456789abcd"]);
    await transport.close();
  });

  it("pings idle workers and replaces one that stops answering", async () => {
    const { transport, workers } = setup(2, undefined, { pingEveryMs: 20, stallMs: 80 });
    for (const w of workers) w.send({ kind: "ready" });
    const [alive, stuck] = workers as [FakeWorker, FakeWorker];
    const answer = setInterval(() => {
      for (const m of alive.received.splice(0)) if (m.kind === "ping") alive.send({ kind: "pong", id: m.id });
    }, 5);
    await sleep(400);
    clearInterval(answer);
    expect(stuck.received.some((m) => m.kind === "ping")).toBe(true);
    expect(stuck.terminated).toBe(true);
    expect(alive.terminated).toBe(false);
    expect(workers).toHaveLength(3);
    await transport.close();
  });

  it("replaces a worker that never acknowledges a request, but never one running an acknowledged request", async () => {
    const { transport, workers } = setup(2, undefined, { pingEveryMs: 20, stallMs: 80 });
    for (const w of workers) w.send({ kind: "ready" });
    const [busy, stuck] = workers as [FakeWorker, FakeWorker];
    const long = transport.send(PREPARE);
    const lost = transport.send(PREPARE);
    const [first] = busy.requests();
    busy.send({ kind: "ack", id: first?.id });
    await expect(lost.response).rejects.toThrow(/stopped answering for 80 ms outside any step/);
    expect(stuck.terminated).toBe(true);
    await sleep(300);
    expect(busy.terminated).toBe(false);
    busy.send({ kind: "response", id: first?.id, response: DONE });
    await expect(long.response).resolves.toEqual(DONE);
    await transport.close();
  });
});
