/**
 * How a {@link BatchingPool} reaches its workers: piscina in Node, Web Workers in the
 * browser. A transport sends one request to some idle worker and can kill that worker.
 */
import type { WorkerBroadcast, WorkerEvent, WorkerRequest, WorkerResponse } from "../protocol/messages.js";

/** One request in flight. */
export interface SentRequest {
  /** Resolves with the worker's response; rejects when the worker died or was killed. */
  readonly response: Promise<WorkerResponse>;
  /** Terminates the worker running this request (the transport replaces it). */
  kill(): void;
  /**
   * Measures the whole memory (see src/protocol/worker-memory.ts) of the worker running
   * this request, even while it is busy; undefined when it cannot be told (not started,
   * gone). Absent when the platform cannot measure a worker from outside.
   */
  memory?(): Promise<number | undefined>;
}

/** Workers that run requests. */
export interface WorkerTransport {
  /** How many workers run at once. */
  readonly threads: number;
  /** Sends a request to a free worker (queued until one is free). */
  send(request: WorkerRequest): SentRequest;
  /** Receives the events workers post while they run a batch; a request's events arrive before its response. */
  onEvent(listener: (event: WorkerEvent) => void): void;
  /** Sends a message to every worker, busy or not (optional). */
  broadcast?(message: WorkerBroadcast): void;
  /** Stops every worker; requests in flight reject. */
  close(): Promise<void>;
}
