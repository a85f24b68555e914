/**
 * The Node {@link SessionTransport}: worker threads managed by piscina, each serving one
 * long-lived session over its own MessagePort. piscina starts, terminates and replaces
 * the workers (aborting a worker's session task terminates that worker); the requests,
 * their responses and the worker's events travel on the session port, in order, without
 * piscina's per-task bookkeeping on the hot path.
 */
import { MessageChannel } from "node:worker_threads";
import { Piscina } from "piscina";
import { SessionTransport, type WorkerPort, type WorkerPorts } from "../pool/session-transport.js";
import type { SessionFromWorker } from "../protocol/messages.js";
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

/** Sessions on piscina's threads. */
function piscinaPorts(options: PiscinaTransportOptions): WorkerPorts {
  const pool = new Piscina({
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
  pool.on("error", () => {});
  return {
    name: "worker threads",
    measuresMemory: true,
    start(events): WorkerPort {
      const { port1, port2 } = new MessageChannel();
      const abort = new AbortController();
      /** The worker thread serving the session, once it said hello. */
      let threadId: number | undefined;
      port1.on("message", (message: SessionFromWorker) => {
        if (message.kind === "hello") threadId = message.threadId;
        else events.message(message);
      });
      const ended = (error: Error) => {
        port1.close();
        events.ended(new Error(`the worker stopped: ${error.message}`));
      };
      pool.run({ type: "session", port: port2 }, { transferList: [port2], signal: abort.signal }).then(
        () => ended(new Error("the worker ended its session")),
        (e: unknown) => ended(e instanceof Error ? e : new Error(String(e))),
      );
      return {
        readyAtStart: true,
        post: (message) => port1.postMessage(message),
        terminate: () => {
          port1.close();
          abort.abort();
        },
        memory: async () => {
          const worker = pool.threads.find((w) => w.threadId === threadId);
          if (threadId === undefined || !worker) return undefined;
          try {
            return wholeMemoryBytes(await worker.getHeapStatistics());
          } catch {
            return undefined; // The worker is gone.
          }
        },
      };
    },
    close: () => pool.close({ force: true }),
  };
}

/** Workers from piscina, requests over one session port per worker. */
export class PiscinaTransport extends SessionTransport {
  constructor(options: PiscinaTransportOptions) {
    super(piscinaPorts(options), { threads: options.threads, requestsPerWorker: PER_WORKER });
  }
}
