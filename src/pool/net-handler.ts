/**
 * The host side of a step's network request: a `net-request` event from a worker is
 * checked against what the host itself sent (the batch, the step running now, that step's
 * grant), never against what the worker claims; then the host fetches (host-fetch.ts)
 * and writes the reply into the worker's buffer. A malformed request gets no answer (its
 * step waits until its own timeout); a refused one, or one the host could not check, gets
 * a NetworkDeniedError reply.
 */
import { CONTROL } from "../protocol/control-block.js";
import type { workerEventSchema } from "../protocol/messages.js";
import { writeReply } from "../protocol/net-reply.js";
import type { Batch } from "./batch-watchdog.js";
import { type FetchFunction, hostFetch } from "./host-fetch.js";

/**
 * The schema of worker events, loaded with the first request: zod is most of the pool
 * process's modules, and most runs make no network request (it starts faster without).
 */
let eventSchema: Promise<typeof workerEventSchema> | undefined;

/** Refuses a request that could not be checked, if it carries something to reply in at all. */
function refuseUnchecked(raw: unknown, message: string): void {
  const reply = (raw as { reply?: unknown } | null)?.reply;
  if (!(reply instanceof SharedArrayBuffer)) return;
  try {
    writeReply(reply, { ok: false, name: "NetworkDeniedError", message });
  } catch {
    // Not a reply buffer after all (a malformed request): it gets no answer, as above.
  }
}

/** Answers the network requests of the steps a pool runs. */
export class NetHandler {
  readonly #fetch: FetchFunction;

  /** @param fetchFunction the platform's fetch. Default: `globalThis.fetch`. */
  constructor(fetchFunction?: FetchFunction) {
    this.#fetch = fetchFunction ?? ((url, init) => globalThis.fetch(url, init));
  }

  /** True when `event` is a network request (then it is handled here, whatever its shape). */
  handles(event: { type?: unknown }): boolean {
    return event.type === "net-request";
  }

  /** Answers one request of the batch `batch` (looked up by the event's batch id). */
  handle(raw: unknown, batch: Batch | undefined): void {
    eventSchema ??= import("../protocol/messages.js").then((m) => m.workerEventSchema);
    eventSchema
      .then(
        (schema) => this.#handle(schema, raw, batch),
        (e: unknown) => {
          // The schema did not load: the next request loads it again (a loaded one is kept).
          eventSchema = undefined;
          throw e;
        },
      )
      .catch((e: unknown) => {
        // Without a check there is no answer but a refusal.
        refuseUnchecked(raw, `the host could not check the request: ${e instanceof Error ? e.message : e}`);
      });
  }

  #handle(schema: typeof workerEventSchema, raw: unknown, batch: Batch | undefined): void {
    const parsed = schema.safeParse(raw);
    if (!parsed.success || parsed.data.type !== "net-request" || !batch) return;
    const event = parsed.data;
    const p = batch.items[event.index];
    if (!p) return;
    const deny = (message: string) =>
      writeReply(event.reply, { ok: false, name: "NetworkDeniedError", message });
    // Only the step running now may ask, and only with its own grant.
    if (p.done || Atomics.load(batch.cells, CONTROL.CURRENT) !== event.index) {
      deny("only a running step may make network requests");
      return;
    }
    const access = p.task.net;
    if (!access) {
      deny(`step ${p.task.stepId} has no network grant (allow.net)`);
      return;
    }
    hostFetch(event.request, access, p.task.stepId, this.#fetch).then(
      (reply) => {
        if (!writeReply(event.reply, reply.meta, reply.body))
          deny("the worker's reply buffer cannot hold the response");
      },
      () => deny("the request failed on the host"),
    );
  }
}
