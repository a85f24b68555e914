/**
 * The {@link WorkerTransport} of both platforms: a fixed set of workers, each a long-lived
 * session over a port, a FIFO queue while all are busy, acknowledgements, pings and stall
 * detection. A platform gives only a {@link WorkerPorts} adapter that starts a worker and
 * carries its messages (piscina in Node: src/node/piscina-transport.ts; Web Workers in a
 * browser: src/browser/web-worker-transport.ts).
 *
 * A worker that dies, or is killed, is replaced; the requests it held reject. Workers that
 * keep dying before they are ready break the transport instead of being restarted forever.
 * A ready worker that stops answering outside a step (an idle worker that misses its pings,
 * or one that does not acknowledge a request it was sent once it answered everything
 * before) has its event loop blocked by something a step left behind: it is replaced too.
 */
import type {
  SessionFromWorker,
  SessionToWorker,
  WorkerBroadcast,
  WorkerEvent,
  WorkerRequest,
  WorkerResponse,
} from "../protocol/messages.js";
import type { SentRequest, WorkerTransport } from "./transport.js";

/** One started worker, as its platform's adapter holds it. */
export interface WorkerPort {
  /** Can take requests from the start (else once it calls `ready`). */
  readonly readyAtStart: boolean;
  /** Posts a message to the worker; throws when it cannot be sent. */
  post(message: SessionToWorker): void;
  /** Stops the worker for good. */
  terminate(): void;
  /** The worker's whole memory (see src/protocol/worker-memory.ts); undefined when unknown. */
  memory?(): Promise<number | undefined>;
}

/** What a started worker tells the transport. */
export interface WorkerPortEvents {
  message(message: SessionFromWorker): void;
  /** The worker can take requests now. */
  ready(): void;
  /** The worker died or ended its session. */
  ended(error: Error): void;
}

/** A platform's way to start workers. */
export interface WorkerPorts {
  /** What the workers are called in errors ("the browser workers could not start"). */
  readonly name: string;
  /** Whether its ports can measure their worker's memory. */
  readonly measuresMemory: boolean;
  start(events: WorkerPortEvents): WorkerPort;
  /** Releases what the adapter holds once every worker was terminated. */
  close?(): Promise<void>;
}

/** Options of {@link SessionTransport}. */
export interface SessionTransportOptions {
  readonly threads: number;
  /** Requests a worker may hold at once (the next waits there while one runs). Default: 1. */
  readonly requestsPerWorker?: number;
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
  port: WorkerPort | undefined;
  readonly jobs: Map<number, Job>;
  ready: boolean;
  dead: boolean;
  lastHeard: number;
  ping: { readonly id: number; readonly sentAt: number } | undefined;
}

/** Workers that run requests, one session each. */
export class SessionTransport implements WorkerTransport {
  readonly threads: number;
  readonly #ports: WorkerPorts;
  readonly #perWorker: number;
  readonly #maxStartupFailures: number;
  readonly #pingEveryMs: number;
  readonly #stallMs: number;
  readonly #slots: Slot[] = [];
  readonly #queue: Job[] = [];
  readonly #listeners: ((event: WorkerEvent) => void)[] = [];
  #nextId = 1;
  #startupFailures = 0;
  #broken: Error | undefined;
  #closed = false;
  readonly #watch: ReturnType<typeof setInterval>;

  /** @throws TypeError naming a bad option. */
  constructor(ports: WorkerPorts, options: SessionTransportOptions) {
    this.threads = options.threads;
    this.#ports = ports;
    this.#perWorker = options.requestsPerWorker ?? 1;
    this.#maxStartupFailures = options.maxStartupFailures ?? 3;
    this.#pingEveryMs = positive(options.pingEveryMs, 2000, "pingEveryMs");
    this.#stallMs = positive(options.stallMs, 10_000, "stallMs");
    for (let i = 0; i < options.threads; i++) this.#slots.push(this.#spawn());
    this.#watch = setInterval(() => this.#checkLiveness(), Math.min(1000, this.#pingEveryMs));
    (this.#watch as { unref?: () => void }).unref?.();
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
    const sent: SentRequest = { response, kill: () => this.#kill(job) };
    return this.#ports.measuresMemory ? { ...sent, memory: async () => job.slot?.port?.memory?.() } : sent;
  }

  broadcast(message: WorkerBroadcast): void {
    for (const slot of this.#slots)
      if (slot.ready && !slot.dead) this.#post(slot, { kind: "broadcast", message });
  }

  onEvent(listener: (event: WorkerEvent) => void): void {
    this.#listeners.push(listener);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#watch);
    const error = new Error("the worker pool is closed");
    for (const slot of this.#slots) this.#bury(slot, error);
    this.#slots.length = 0;
    for (const job of this.#queue.splice(0)) this.#finish(job, error);
    await this.#ports.close?.();
  }

  #spawn(): Slot {
    const slot: Slot = {
      port: undefined,
      jobs: new Map(),
      ready: false,
      dead: false,
      lastHeard: Date.now(),
      ping: undefined,
    };
    slot.port = this.#ports.start({
      message: (message) => this.#onMessage(slot, message),
      ready: () => {
        if (slot.dead) return;
        slot.ready = true;
        this.#startupFailures = 0;
        this.#pump();
      },
      ended: (error) => this.#onDeath(slot, error),
    });
    slot.ready = slot.port.readyAtStart;
    return slot;
  }

  #post(slot: Slot, message: SessionToWorker): boolean {
    try {
      slot.port?.post(message);
      return true;
    } catch {
      return false;
    }
  }

  #checkLiveness(): void {
    const now = Date.now();
    for (const slot of [...this.#slots]) {
      if (!slot.ready || slot.dead) continue;
      // Only the oldest request matters: the ones behind it wait for it, legitimately.
      let oldest: Job | undefined;
      for (const job of slot.jobs.values()) if (!oldest || job.id < oldest.id) oldest = job;
      const waitingSince = oldest ? oldest.sentAt : slot.ping?.sentAt;
      if (waitingSince !== undefined && now - Math.max(waitingSince, slot.lastHeard) > this.#stallMs) {
        this.#onDeath(
          slot,
          new Error(`the worker stopped answering for ${this.#stallMs} ms outside any step`),
        );
      } else if (!oldest && !slot.ping && now - slot.lastHeard > this.#pingEveryMs) {
        slot.ping = { id: this.#nextId++, sentAt: now };
        this.#post(slot, { kind: "ping", id: slot.ping.id });
      }
    }
  }

  #onMessage(slot: Slot, message: SessionFromWorker): void {
    if (slot.dead) return;
    slot.lastHeard = Date.now();
    switch (message.kind) {
      case "ack": {
        const job = slot.jobs.get(message.id);
        if (job) job.sentAt = undefined;
        return;
      }
      case "pong":
        if (slot.ping?.id === message.id) slot.ping = undefined;
        return;
      case "event":
        for (const listener of this.#listeners) listener(message.event);
        return;
      case "response":
      case "failure": {
        const job = slot.jobs.get(message.id);
        if (!job) return;
        slot.jobs.delete(message.id);
        job.done = true;
        if (message.kind === "response") job.resolve(message.response);
        else job.reject(new Error(message.error.message));
        this.#pump();
        return;
      }
      default:
        return;
    }
  }

  #pump(): void {
    while (this.#queue.length > 0) {
      let best: Slot | undefined;
      for (const s of this.#slots)
        if (s.ready && !s.dead && s.jobs.size < this.#perWorker && (!best || s.jobs.size < best.jobs.size))
          best = s;
      if (!best) return;
      const job = this.#queue.shift() as Job;
      job.slot = best;
      job.sentAt = Date.now();
      best.jobs.set(job.id, job);
      try {
        best.port?.post({ kind: "request", id: job.id, request: job.request });
      } catch (e) {
        best.jobs.delete(job.id);
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
    if (!wasReady && ++this.#startupFailures >= this.#maxStartupFailures) {
      // The worker cannot load: restarting would loop; fail everything instead.
      const broken = new Error(`the ${this.#ports.name} could not start: ${error.message}`);
      this.#broken = broken;
      for (const s of this.#slots) this.#bury(s, broken);
      this.#slots.length = 0;
      for (const job of this.#queue.splice(0)) this.#finish(job, broken);
      return;
    }
    this.#slots[at] = this.#spawn();
    this.#pump();
  }

  #bury(slot: Slot, error: Error): void {
    slot.dead = true;
    slot.port?.terminate();
    const jobs = [...slot.jobs.values()];
    slot.jobs.clear();
    for (const job of jobs) this.#finish(job, error);
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
