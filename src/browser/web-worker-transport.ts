/**
 * The browser {@link SessionTransport}: dedicated module Workers, one request at a time
 * each. The page posts `init` to each worker first; the worker says `ready` once it can
 * serve, asks for the Pyodide snapshot by key, and posts `fatal` when it cannot go on.
 * A worker that throws at top level or cannot read a message is terminated and replaced.
 */
import { SessionTransport, type WorkerPort, type WorkerPorts } from "../pool/session-transport.js";
import {
  type BrowserAssetUrls,
  isWorkerMessage,
  type PageMessage,
  type SnapshotSource,
} from "../protocol/browser-wire.js";
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

/** Module Workers, each told where its assets are. */
function webWorkerPorts(options: WebWorkerTransportOptions): WorkerPorts {
  return {
    name: "browser workers",
    measuresMemory: false,
    start(events): WorkerPort {
      const worker = options.createWorker();
      let dead = false;
      const post = (message: PageMessage) => worker.postMessage(message);
      const answerSnapshot = (key: unknown) => {
        const provider = options.snapshot;
        const valid = typeof key === "string" && SNAPSHOT_KEY.test(key);
        const bytes =
          provider && valid ? provider.get(key).catch(() => undefined) : Promise.resolve(undefined);
        void bytes.then((b) => {
          if (!dead) post({ kind: "snapshot", key: String(key), bytes: b });
        });
      };
      worker.addEventListener("message", (e: MessageEvent) => {
        const message: unknown = e.data;
        if (dead || !isWorkerMessage(message)) return;
        switch (message.kind) {
          case "ready":
            events.ready();
            return;
          case "need-snapshot":
            answerSnapshot(message.key);
            return;
          case "snapshot-failed":
            if (typeof message.key === "string" && SNAPSHOT_KEY.test(message.key))
              options.snapshot?.discard(message.key);
            return;
          case "fatal":
            events.ended(new Error(message.message));
            return;
          case "snapshot-made":
            return;
          default:
            events.message(message);
        }
      });
      worker.addEventListener("error", (e: ErrorEvent) => {
        e.preventDefault();
        events.ended(new Error(e.message || "the worker script could not be loaded"));
      });
      worker.addEventListener("messageerror", () =>
        events.ended(new Error("the worker posted a message that could not be read")),
      );
      post({
        kind: "init",
        role: "pool",
        assets: options.assets,
        useSnapshot: options.snapshot !== undefined,
      });
      return {
        readyAtStart: false,
        post,
        terminate: () => {
          dead = true;
          worker.terminate();
        },
      };
    },
  };
}

/** Dedicated module Workers that run pool requests. */
export class WebWorkerTransport extends SessionTransport {
  /** @throws TypeError naming a bad option. */
  constructor(options: WebWorkerTransportOptions) {
    super(webWorkerPorts(options), {
      threads: options.threads,
      ...(options.maxStartupFailures !== undefined ? { maxStartupFailures: options.maxStartupFailures } : {}),
      ...(options.pingEveryMs !== undefined ? { pingEveryMs: options.pingEveryMs } : {}),
      ...(options.stallMs !== undefined ? { stallMs: options.stallMs } : {}),
    });
  }
}
