/**
 * The browser {@link WorkerTransport}: a fixed set of dedicated module Workers, one
 * request at a time each, a FIFO queue while all are busy. A worker that is killed, throws
 * at top level or cannot read a message is terminated and replaced; the request it held
 * rejects. Workers that keep dying before they are ready break the transport instead of
 * being restarted forever. A ready worker that stops answering outside a step (an idle
 * worker that misses its pings, or one that does not acknowledge a request it was sent)
 * has its event loop blocked by something a step left behind: it is replaced too.
 */

import type { SentRequest, WorkerTransport } from "../pool/transport.js";
import {
  type BrowserAssetUrls,
  isWorkerMessage,
  type PageMessage,
  type SnapshotSource,
  type WorkerMessage,
} from "../protocol/browser-wire.js";
import type { WorkerEvent, WorkerRequest, WorkerResponse } from "../protocol/messages.js";
import { SNAPSHOT_KEY } from "../protocol/pyodide-snapshot.js";

/** Options of {@link WebWorkerTransport}. */
export interface WebWorkerTransportOptions {
  readonly threads: number;
  /** Starts one module Worker running runtimes/worker/browser-worker. */
  readonly createWorker: () => Worker;
  readonly assets: BrowserAssetUrls;
  /** Answers workers' requests for the Pyodide snapshot; none means Python loads cold. */
  readonly snapshot?: SnapshotSource;
  /** Workers that may die in a row before becoming ready. Default: 3. */
  readonly maxStartupFailures?: number;
  /** An idle worker is pinged when it was silent this long (ms). Default: 2000. */
  readonly pingEveryMs?: number;
  /** A worker silent this long (ms) with a ping or a request unanswered is replaced. Default: 10000. */
  readonly stallMs?: number;
}

interface Job {
  readonly id: number;
  readonly request: WorkerRequest;
  readonly resolve: (response: WorkerResponse) => void;
  readonly reject: (error: Error) => void;
  slot: Slot | undefined;
  done: boolean;
  /** When it was posted to its worker, until the worker acknowledged it. */
  sentAt: number | undefined;
}

interface Slot {
  readonly worker: Worker;
  job: Job | undefined;
  ready: boolean;
  dead: boolean;
  lastHeard: number;
  ping: { readonly id: number; readonly sentAt: number } | undefined;
}

/** Dedicated module Workers that run pool requests. */
export class WebWorkerTransport implements WorkerTransport {
  readonly threads: number;
  readonly #options: WebWorkerTransportOptions;
  readonly #slots: Slot[] = [];
  readonly #queue: Job[] = [];
  readonly #listeners: ((event: WorkerEvent) => void)[] = [];
  #nextId = 1;
  #startupFailures = 0;
  #broken: Error | undefined;
  #closed = false;
  readonly #pingEveryMs: number;
  readonly #stallMs: number;
  readonly #watch: ReturnType<typeof setInterval>;

  constructor(options: WebWorkerTransportOptions) {
    this.threads = options.threads;
    this.#options = options;
    this.#pingEveryMs = positive(options.pingEveryMs, 2000, "pingEveryMs");
    this.#stallMs = positive(options.stallMs, 10_000, "stallMs");
    for (let i = 0; i < options.threads; i++) this.#slots.push(this.#spawn());
    this.#watch = setInterval(() => this.#checkLiveness(), Math.min(1000, this.#pingEveryMs));
  }

  #checkLiveness(): void {
    const now = Date.now();
    for (const slot of [...this.#slots]) {
      if (!slot.ready || slot.dead) continue;
      const job = slot.job;
      const waitingSince = job ? job.sentAt : slot.ping?.sentAt;
      if (waitingSince !== undefined && now - Math.max(waitingSince, slot.lastHeard) > this.#stallMs) {
        this.#onDeath(
          slot,
          new Error(`the worker stopped answering for ${this.#stallMs} ms outside any step`),
        );
      } else if (!job && !slot.ping && now - slot.lastHeard > this.#pingEveryMs) {
        slot.ping = { id: this.#nextId++, sentAt: now };
        const ping: PageMessage = { kind: "ping", id: slot.ping.id };
        slot.worker.postMessage(ping);
      }
    }
  }

  send(request: WorkerRequest): SentRequest {
    let job!: Job;
    const response = new Promise<WorkerResponse>((resolve, reject) => {
      job = { id: this.#nextId++, request, resolve, reject, slot: undefined, done: false, sentAt: undefined };
    });
    const failure = this.#closed ? new Error("the worker pool is closed") : this.#broken;
    if (failure) this.#finish(job, failure);
    else {
      this.#queue.push(job);
      this.#pump();
    }
    return { response, kill: () => this.#kill(job) };
  }

  onEvent(listener: (event: WorkerEvent) => void): void {
    this.#listeners.push(listener);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#watch);
    const error = new Error("the worker pool was closed");
    for (const slot of this.#slots) this.#bury(slot, error);
    this.#slots.length = 0;
    for (const job of this.#queue.splice(0)) this.#finish(job, error);
  }

  #spawn(): Slot {
    const worker = this.#options.createWorker();
    const slot: Slot = {
      worker,
      job: undefined,
      ready: false,
      dead: false,
      lastHeard: Date.now(),
      ping: undefined,
    };
    worker.addEventListener("message", (e: MessageEvent) => this.#onMessage(slot, e.data));
    worker.addEventListener("error", (e: ErrorEvent) => {
      e.preventDefault();
      this.#onDeath(slot, new Error(e.message || "the worker script could not be loaded"));
    });
    worker.addEventListener("messageerror", () =>
      this.#onDeath(slot, new Error("the worker posted a message that could not be read")),
    );
    const init: PageMessage = {
      kind: "init",
      role: "pool",
      assets: this.#options.assets,
      useSnapshot: this.#options.snapshot !== undefined,
    };
    worker.postMessage(init);
    return slot;
  }

  #onMessage(slot: Slot, data: unknown): void {
    if (slot.dead || !isWorkerMessage(data)) return;
    const message: WorkerMessage = data;
    slot.lastHeard = Date.now();
    switch (message.kind) {
      case "ack":
        if (slot.job?.id === message.id) slot.job.sentAt = undefined;
        return;
      case "pong":
        if (slot.ping?.id === message.id) slot.ping = undefined;
        return;
      case "ready":
        slot.ready = true;
        this.#startupFailures = 0;
        this.#pump();
        return;
      case "response": {
        const job = slot.job;
        if (!job || job.id !== message.id) return;
        slot.job = undefined;
        job.done = true;
        job.resolve(message.response);
        this.#pump();
        return;
      }
      case "event":
        for (const listener of this.#listeners) listener(message.event);
        return;
      case "need-snapshot":
        this.#answerSnapshot(slot, message.key);
        return;
      case "snapshot-failed":
        if (typeof message.key === "string" && SNAPSHOT_KEY.test(message.key))
          this.#options.snapshot?.discard(message.key);
        return;
      case "fatal":
        this.#onDeath(slot, new Error(message.message));
        return;
      default:
        return;
    }
  }

  #answerSnapshot(slot: Slot, key: unknown): void {
    const provider = this.#options.snapshot;
    const valid = typeof key === "string" && SNAPSHOT_KEY.test(key);
    const bytes = provider && valid ? provider.get(key).catch(() => undefined) : Promise.resolve(undefined);
    void bytes.then((b) => {
      if (slot.dead) return;
      const answer: PageMessage = { kind: "snapshot", key: String(key), bytes: b };
      slot.worker.postMessage(answer);
    });
  }

  #pump(): void {
    while (this.#queue.length > 0) {
      const slot = this.#slots.find((s) => s.ready && !s.dead && !s.job);
      if (!slot) return;
      const job = this.#queue.shift() as Job;
      job.slot = slot;
      job.sentAt = Date.now();
      slot.job = job;
      const message: PageMessage = { kind: "request", id: job.id, request: job.request };
      try {
        slot.worker.postMessage(message);
      } catch (e) {
        slot.job = undefined;
        this.#finish(job, new Error(`the request could not be sent to a worker: ${String(e)}`));
      }
    }
  }

  #kill(job: Job): void {
    if (job.done) return;
    if (!job.slot) {
      const at = this.#queue.indexOf(job);
      if (at >= 0) this.#queue.splice(at, 1);
      this.#finish(job, new Error("the request was cancelled before a worker took it"));
      return;
    }
    this.#onDeath(job.slot, new Error("the worker was stopped"));
  }

  #onDeath(slot: Slot, error: Error): void {
    if (slot.dead) return;
    const wasReady = slot.ready;
    this.#bury(slot, error);
    const at = this.#slots.indexOf(slot);
    if (this.#closed || at < 0) return;
    if (!wasReady && ++this.#startupFailures >= (this.#options.maxStartupFailures ?? 3)) {
      // The script or its assets cannot load: restarting would loop; fail everything instead.
      const broken = new Error(`the browser workers could not start: ${error.message}`);
      this.#broken = broken;
      for (const s of this.#slots) this.#bury(s, broken);
      this.#slots.length = 0;
      for (const job of this.#queue.splice(0)) this.#finish(job, broken);
      return;
    }
    this.#slots[at] = this.#spawn();
  }

  #bury(slot: Slot, error: Error): void {
    slot.dead = true;
    slot.worker.terminate();
    const job = slot.job;
    slot.job = undefined;
    if (job) this.#finish(job, error);
  }

  #finish(job: Job, error: Error): void {
    if (job.done) return;
    job.done = true;
    job.reject(error);
  }
}

function positive(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isFinite(value) || value <= 0)
    throw new TypeError(`options.${name} must be a positive number of milliseconds`);
  return value;
}
