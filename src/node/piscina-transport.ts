/**
 * The Node {@link WorkerTransport}: worker threads managed by piscina, each serving one
 * long-lived session over its own MessagePort. piscina starts, terminates and replaces
 * the workers (aborting a worker's session task terminates that worker); the requests,
 * their responses and the worker's events travel on the session port, in order, without
 * piscina's per-task bookkeeping on the hot path.
 */
import { MessageChannel, type MessagePort } from "node:worker_threads";
import { Piscina } from "piscina";
import type { SentRequest, WorkerTransport } from "../pool/transport.js";
import type {
  SessionFromWorker,
  SessionToWorker,
  WorkerBroadcast,
  WorkerEvent,
  WorkerRequest,
  WorkerResponse,
} from "../protocol/messages.js";
import { wholeMemoryBytes } from "../protocol/worker-memory.js";

/** Options of {@link PiscinaTransport}. */
export interface PiscinaTransportOptions {
  /** Path or file URL of the worker entry (dist/runtimes/worker/node-worker.js). */
  readonly filename: string;
  readonly threads: number;
  /** Passed to every worker. */
  readonly workerData: unknown;
  /**
   * `execArgv` of the workers. Default: the process's own (so process-wide flags such as
   * --disallow-code-generation-from-strings apply to workers too).
   */
  readonly execArgv?: string[];
}

/** Requests a worker may hold at once: the next batch waits there while one runs. */
const PER_WORKER = 2;
/** An idle worker is pinged this often (ms). */
const PING_EVERY_MS = 2000;
/**
 * A worker that answers no ping, or does not take a request it was given once it has
 * answered everything before, within this time (ms) is stuck outside any step (code a
 * step left behind, running on the worker's event loop): it is terminated and replaced.
 */
const STALL_MS = 10_000;

interface Pending {
  readonly id: number;
  readonly request: WorkerRequest;
  readonly resolve: (response: WorkerResponse) => void;
  readonly reject: (error: Error) => void;
  session: Session | undefined;
  killed: boolean;
}

interface Session {
  readonly port: MessagePort;
  readonly abort: AbortController;
  readonly pending: Map<number, Pending>;
  /** Requests sent and not yet taken, with when they could have been taken. */
  readonly unacked: Map<number, number>;
  alive: boolean;
  /** The worker thread serving the session, once it said hello. */
  threadId: number | undefined;
  lastHeard: number;
  ping: { id: number; sentAt: number } | undefined;
}

/** Workers from piscina, requests over one session port per worker. */
export class PiscinaTransport implements WorkerTransport {
  readonly threads: number;
  readonly #pool: Piscina;
  readonly #sessions = new Set<Session>();
  readonly #queue: Pending[] = [];
  readonly #listeners: ((event: WorkerEvent) => void)[] = [];
  #nextId = 1;
  #closed = false;
  readonly #watch: ReturnType<typeof setInterval>;

  constructor(options: PiscinaTransportOptions) {
    this.threads = options.threads;
    this.#pool = new Piscina({
      filename: options.filename,
      minThreads: options.threads,
      maxThreads: options.threads,
      idleTimeout: Number.POSITIVE_INFINITY,
      concurrentTasksPerWorker: 1,
      workerData: options.workerData,
      env: {},
      ...(options.execArgv ? { execArgv: options.execArgv } : {}),
      resourceLimits: { maxOldGenerationSizeMb: 1024 },
    });
    // A worker that dies is replaced by piscina; its session task rejects and is reopened.
    this.#pool.on("error", () => {});
    for (let i = 0; i < options.threads; i++) this.#openSession();
    this.#watch = setInterval(() => this.#checkLiveness(), 1000);
    this.#watch.unref();
  }

  #checkLiveness(): void {
    const now = Date.now();
    for (const s of this.#sessions) {
      if (s.pending.size === 0) {
        if (s.ping && now - s.ping.sentAt > STALL_MS) s.abort.abort();
        else if (!s.ping && now - s.lastHeard > PING_EVERY_MS) {
          s.ping = { id: this.#nextId++, sentAt: now };
          s.port.postMessage({ kind: "ping", id: s.ping.id } satisfies SessionToWorker);
        }
        continue;
      }
      // Only the oldest request matters: the ones behind it wait for it, legitimately.
      const oldest = Math.min(...s.pending.keys());
      const sentAt = s.unacked.get(oldest);
      if (sentAt !== undefined && now - Math.max(sentAt, s.lastHeard) > STALL_MS) s.abort.abort();
    }
  }

  #openSession(): void {
    const { port1, port2 } = new MessageChannel();
    const session: Session = {
      port: port1,
      abort: new AbortController(),
      pending: new Map(),
      unacked: new Map(),
      alive: true,
      threadId: undefined,
      lastHeard: Date.now(),
      ping: undefined,
    };
    this.#sessions.add(session);
    port1.on("message", (message: SessionFromWorker) => this.#onMessage(session, message));
    const task = this.#pool.run(
      { type: "session", port: port2 },
      { transferList: [port2], signal: session.abort.signal },
    );
    task.then(
      () => this.#endSession(session, new Error("the worker ended its session")),
      (e: unknown) => this.#endSession(session, e instanceof Error ? e : new Error(String(e))),
    );
  }

  #endSession(session: Session, error: Error): void {
    if (!session.alive) return;
    session.alive = false;
    this.#sessions.delete(session);
    session.port.close();
    for (const p of session.pending.values()) p.reject(new Error(`the worker stopped: ${error.message}`));
    session.pending.clear();
    if (!this.#closed) {
      this.#openSession();
      this.#pump();
    }
  }

  #onMessage(session: Session, message: SessionFromWorker): void {
    session.lastHeard = Date.now();
    if (message.kind === "ack") {
      session.unacked.delete(message.id);
      return;
    }
    if (message.kind === "hello") {
      session.threadId = message.threadId;
      return;
    }
    if (message.kind === "pong") {
      if (session.ping?.id === message.id) session.ping = undefined;
      return;
    }
    if (message.kind === "event") {
      for (const listener of this.#listeners) listener(message.event);
      return;
    }
    const p = session.pending.get(message.id);
    if (!p) return;
    session.pending.delete(message.id);
    if (message.kind === "response") p.resolve(message.response);
    else p.reject(new Error(message.error.message));
    this.#pump();
  }

  #pump(): void {
    while (this.#queue.length > 0) {
      let best: Session | undefined;
      for (const s of this.#sessions)
        if (s.pending.size < PER_WORKER && (!best || s.pending.size < best.pending.size)) best = s;
      if (!best) return;
      const p = this.#queue.shift() as Pending;
      if (p.killed) continue;
      p.session = best;
      best.pending.set(p.id, p);
      best.unacked.set(p.id, Date.now());
      best.port.postMessage({ kind: "request", id: p.id, request: p.request } satisfies SessionToWorker);
    }
  }

  send(request: WorkerRequest): SentRequest {
    if (this.#closed)
      return { response: Promise.reject(new Error("the worker pool is closed")), kill: () => {} };
    let pending: Pending | undefined;
    const response = new Promise<WorkerResponse>((resolve, reject) => {
      pending = { id: this.#nextId++, request, resolve, reject, session: undefined, killed: false };
    });
    const p = pending as Pending;
    this.#queue.push(p);
    this.#pump();
    return {
      response,
      kill: () => {
        p.killed = true;
        if (p.session?.alive) p.session.abort.abort();
        else p.reject(new Error("killed before a worker took it"));
      },
      memory: () => this.#memoryOf(p.session),
    };
  }

  async #memoryOf(session: Session | undefined): Promise<number | undefined> {
    if (!session?.alive || session.threadId === undefined) return undefined;
    const worker = this.#pool.threads.find((w) => w.threadId === session.threadId);
    if (!worker) return undefined;
    try {
      return wholeMemoryBytes(await worker.getHeapStatistics());
    } catch {
      return undefined; // The worker is gone.
    }
  }

  broadcast(message: WorkerBroadcast): void {
    for (const s of this.#sessions)
      s.port.postMessage({ kind: "broadcast", message } satisfies SessionToWorker);
  }

  onEvent(listener: (event: WorkerEvent) => void): void {
    this.#listeners.push(listener);
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#watch);
    for (const p of this.#queue) p.reject(new Error("the worker pool is closed"));
    this.#queue.length = 0;
    // Sessions never end on their own: close their ports so each worker's session task
    // returns, and piscina can shut the workers down.
    for (const s of [...this.#sessions]) this.#endSession(s, new Error("the worker pool is closed"));
    await this.#pool.close({ force: true });
  }
}
