/**
 * A client of the server's run events, for the CLI (`run --server`) and the dashboard:
 * Server-Sent Events read with fetch (so it can send `Authorization`, which EventSource
 * cannot), reconnecting with `Last-Event-ID` when the connection drops before `run-finished`.
 */
import type { RunEvent } from "../core/events.js";

/** One SSE message. */
export interface SseMessage {
  readonly id: string | undefined;
  readonly event: string;
  readonly data: string;
}

/** The chunks of a body: a web ReadableStream, or (in Node) any async iterable of bytes. */
async function* chunksOf(
  body: ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>,
): AsyncGenerator<Uint8Array> {
  if (!("getReader" in body)) {
    yield* body;
    return;
  }
  const reader = body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    yield value;
  }
}

/** Parses an SSE byte stream, calling `onMessage` for each message. */
export async function readSse(
  body: ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>,
  onMessage: (m: SseMessage) => void,
): Promise<void> {
  const decoder = new TextDecoder();
  let buffer = "";
  let id: string | undefined;
  let event = "message";
  let data: string[] = [];
  const line = (text: string) => {
    if (text === "") {
      if (data.length > 0) onMessage({ id, event, data: data.join("\n") });
      id = undefined;
      event = "message";
      data = [];
      return;
    }
    if (text.startsWith(":")) return;
    const colon = text.indexOf(":");
    const field = colon < 0 ? text : text.slice(0, colon);
    const value = colon < 0 ? "" : text.slice(colon + 1).replace(/^ /, "");
    if (field === "data") data.push(value);
    else if (field === "event") event = value;
    else if (field === "id") id = value;
  };
  for await (const value of chunksOf(body)) {
    buffer += decoder.decode(value, { stream: true });
    let at = buffer.search(/\r\n|\n|\r/);
    while (at >= 0) {
      const eol = buffer[at] === "\r" && buffer[at + 1] === "\n" ? 2 : 1;
      line(buffer.slice(0, at));
      buffer = buffer.slice(at + eol);
      at = buffer.search(/\r\n|\n|\r/);
    }
  }
}

/** Options of {@link followRunEvents}. */
export interface FollowEventsOptions {
  /** The server, e.g. `http://127.0.0.1:8080` (`""` for the page's own origin). */
  readonly baseUrl: string;
  readonly token?: string | undefined;
  /** Stops following. */
  readonly signal?: AbortSignal;
  /** Reconnections after a dropped connection before giving up. Default: 5. */
  readonly retries?: number;
  /** How requests are made. Default: the global `fetch`. */
  readonly fetch?: EventsFetch;
}

/** The part of `fetch` the client uses (so the CLI can pass one built on node:http). */
export type EventsFetch = (
  url: string,
  init: { headers: Record<string, string>; signal?: AbortSignal },
) => Promise<{
  readonly ok: boolean;
  readonly status: number;
  readonly body: ReadableStream<Uint8Array> | AsyncIterable<Uint8Array> | null;
  json(): Promise<unknown>;
}>;

/**
 * Calls `onEvent` with each event of run `runId` until `run-finished` (resolves with it),
 * reconnecting with `Last-Event-ID` after a dropped connection.
 * @throws Error with the server's message when it refuses, or after too many drops.
 */
export async function followRunEvents(
  runId: string,
  onEvent: (event: RunEvent, seq: number) => void,
  options: FollowEventsOptions,
): Promise<Extract<RunEvent, { type: "run-finished" }> | undefined> {
  let last = 0;
  let drops = 0;
  const retries = options.retries ?? 5;
  const request: EventsFetch = options.fetch ?? ((url, init) => fetch(url, init));
  for (;;) {
    let finished: Extract<RunEvent, { type: "run-finished" }> | undefined;
    try {
      const response = await request(`${options.baseUrl}/api/runs/${encodeURIComponent(runId)}/events`, {
        headers: {
          Accept: "text/event-stream",
          ...(last > 0 ? { "Last-Event-ID": String(last) } : {}),
          ...(options.token ? { Authorization: `Bearer ${options.token}` } : {}),
        },
        ...(options.signal ? { signal: options.signal } : {}),
      });
      if (!response.ok || !response.body) {
        const body = (await response.json().catch(() => undefined)) as
          | { error?: { message?: string } }
          | undefined;
        throw new ServerRefusal(body?.error?.message ?? `the server answered ${response.status}`);
      }
      await readSse(response.body, (m) => {
        const seq = Number(m.id);
        if (!Number.isInteger(seq) || seq <= last) return;
        last = seq;
        const event = JSON.parse(m.data) as RunEvent;
        onEvent(event, seq);
        if (event.type === "run-finished") finished = event;
      });
    } catch (e) {
      if (e instanceof ServerRefusal || options.signal?.aborted) throw e;
      if (++drops > retries) {
        // fetch's TypeError says only "fetch failed"; its cause says why.
        const cause =
          e instanceof TypeError && e.cause instanceof Error ? e.cause.message : (e as Error).message;
        throw new Error(`lost the server at ${options.baseUrl} while following run ${runId}: ${cause}`);
      }
      await new Promise((r) => setTimeout(r, 200 * drops));
      continue;
    }
    if (finished || options.signal?.aborted) return finished;
    if (++drops > retries)
      throw new Error(`the event stream of run ${runId} ended ${drops} times before the run did`);
  }
}

/** The server refused a request; its message says why. */
export class ServerRefusal extends Error {
  override name = "ServerRefusal";
}
