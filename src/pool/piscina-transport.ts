/** The Node {@link WorkerTransport}: a piscina pool of worker threads running the worker entry. */
import { Piscina } from "piscina";
import type { WorkerBroadcast, WorkerEvent, WorkerRequest, WorkerResponse } from "../protocol/messages.js";

let poolCount = 0;

import type { SentRequest, WorkerTransport } from "./transport.js";

/** Options of {@link PiscinaTransport}. */
export interface PiscinaTransportOptions {
  /** Path or file URL of the worker entry (dist/runtimes/worker/node-worker.js). */
  readonly filename: string;
  readonly threads: number;
  /** Passed to every worker. */
  readonly workerData: unknown;
  /** `execArgv` of the workers. Default: the process's own (so process-wide flags such as --disallow-code-generation-from-strings apply to workers too). */
  readonly execArgv?: string[];
}

/** Worker threads managed by piscina: it queues requests and replaces workers that die. */
export class PiscinaTransport implements WorkerTransport {
  readonly threads: number;
  readonly #pool: Piscina;
  readonly #channel: BroadcastChannel;

  constructor(options: PiscinaTransportOptions) {
    this.threads = options.threads;
    const channelName = `sandflow-pool-${process.pid}-${++poolCount}`;
    this.#channel = new BroadcastChannel(channelName);
    (this.#channel as unknown as { unref?: () => void }).unref?.();
    this.#pool = new Piscina({
      filename: options.filename,
      minThreads: options.threads,
      maxThreads: options.threads,
      idleTimeout: Number.POSITIVE_INFINITY,
      // Two requests per worker: the next batch is already there when one ends (the
      // dispatcher runs them one after another).
      concurrentTasksPerWorker: 2,
      atomics: "async",
      workerData: { ...(options.workerData as object), broadcastChannel: channelName },
      env: {},
      ...(options.execArgv ? { execArgv: options.execArgv } : {}),
      resourceLimits: { maxOldGenerationSizeMb: 1024 },
    });
    // A worker that dies is replaced by piscina; its tasks reject. Nothing else to do here.
    this.#pool.on("error", () => {});
  }

  send(request: WorkerRequest): SentRequest {
    const controller = new AbortController();
    const response = this.#pool.run(request, { signal: controller.signal }) as Promise<WorkerResponse>;
    return { response, kill: () => controller.abort() };
  }

  broadcast(message: WorkerBroadcast): void {
    this.#channel.postMessage(message);
  }

  onEvent(listener: (event: WorkerEvent) => void): void {
    this.#pool.on("message", listener);
  }

  async close(): Promise<void> {
    this.#channel.close();
    await this.#pool.close({ force: true });
  }
}
