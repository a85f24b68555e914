/**
 * `GET /api/runs/{id}/events`: a run's events as Server-Sent Events, `id:` each event's
 * sequence number in its run, starting after `Last-Event-ID`. A run of this server is
 * followed from its live log; any other run is rebuilt from the store and, while it is not
 * finished, polled.
 */
import type { Context } from "hono";
import { streamSSE } from "hono/streaming";
import type { Store } from "../core/durable/store.js";
import { HttpError } from "./errors.js";
import { RunEventLog, type SequencedEvent } from "./event-log.js";
import { replayEvents } from "./replay-events.js";

/** How often a stored run that is not finished is read again. */
const POLL_MS = 500;
/** A comment line this often keeps proxies from closing a quiet stream. */
const PING_MS = 15_000;

/** The `Last-Event-ID` a client sent (header, else `lastEventId` in the query); 0 for none. */
export function lastEventId(c: Context): number {
  const raw = c.req.header("last-event-id") ?? c.req.query("lastEventId");
  if (raw === undefined || raw === "") return 0;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0)
    throw new HttpError(
      400,
      "InvalidRequest",
      `Last-Event-ID must be a sequence number, got ${JSON.stringify(raw)}`,
    );
  return n;
}

/** A log of a stored run's events, kept up to date by polling until it finishes or `stop()`. */
export async function followStoredRun(
  store: Store,
  runId: string,
  now: () => number,
): Promise<{ log: RunEventLog; stop: () => void }> {
  const first = await store.getRun(runId);
  if (!first) throw new HttpError(404, "RunNotFoundError", `no run '${runId}' in ${store.label}`);
  const log = new RunEventLog(replayEvents(first, now()));
  const done = () => log.events.at(-1)?.event.type === "run-finished";
  if (done()) {
    log.finish();
    return { log, stop: () => {} };
  }
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    void store
      .getRun(runId)
      .then((run) => {
        if (!run) return;
        const events = replayEvents(run, now());
        for (const e of events.slice(log.events.length)) log.push(e);
        if (done()) {
          log.finish();
          clearInterval(timer);
        }
      })
      .catch(() => {})
      .finally(() => {
        busy = false;
      });
  }, POLL_MS);
  return { log, stop: () => clearInterval(timer) };
}

/** Streams `log` from after `after` until it ends or the client goes. */
export function streamLog(
  c: Context,
  log: RunEventLog,
  after: number,
  onClose: () => void = () => {},
): Response {
  return streamSSE(c, async (stream) => {
    const queue: (SequencedEvent | undefined)[] = [];
    let wake: (() => void) | undefined;
    const unsubscribe = log.subscribe(after, (e) => {
      queue.push(e);
      wake?.();
    });
    stream.onAbort(() => wake?.());
    const ping = setInterval(() => void stream.write(": ping\n\n").catch(() => {}), PING_MS);
    try {
      while (!stream.aborted) {
        if (queue.length === 0) {
          await new Promise<void>((resolve) => {
            wake = resolve;
          });
          wake = undefined;
          continue;
        }
        const item = queue.shift();
        if (item === undefined) break;
        await stream.writeSSE({
          id: String(item.seq),
          event: item.event.type,
          data: JSON.stringify(item.event),
        });
      }
    } finally {
      clearInterval(ping);
      unsubscribe();
      onClose();
    }
  });
}
