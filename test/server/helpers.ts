/** Helpers of the server tests: a real server on a loopback port, requests, SSE reading. */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "vitest";
import type { RunEvent } from "../../src/core/events.js";
import { type RunningServer, type ServeOptions, startServer } from "../../src/server/node-server.js";
import { readSse } from "../../src/server/sse-client.js";

/** A server on a free loopback port with a store of its own. */
export async function testServer(options: ServeOptions = {}): Promise<RunningServer> {
  const dir = mkdtempSync(join(tmpdir(), "sandflow-serve-"));
  return startServer({ port: 0, store: join(dir, "store.db"), engine: { threads: 2 }, ...options });
}

/** A JSON request; resolves with the status and the parsed body. */
export async function api(
  server: { url: string },
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
  // biome-ignore lint/suspicious/noExplicitAny: answers are JSON read field by field
): Promise<{ status: number; body: any; headers: Headers }> {
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: { ...(body !== undefined ? { "Content-Type": "application/json" } : {}), ...headers },
    ...(body !== undefined ? { body: typeof body === "string" ? body : JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {}
  return { status: res.status, body: parsed, headers: res.headers };
}

/** An SSE message of the events endpoint, parsed. */
export interface Sequenced {
  readonly seq: number;
  readonly type: string;
  readonly event: RunEvent;
}

/**
 * Reads a run's event stream (after `lastEventId`), stopping after `stopAfter` messages
 * (the connection is dropped) or when the server ends the stream.
 */
export async function readEvents(
  server: { url: string },
  runId: string,
  options: { lastEventId?: number; stopAfter?: number; headers?: Record<string, string> } = {},
): Promise<Sequenced[]> {
  const abort = new AbortController();
  const res = await fetch(`${server.url}/api/runs/${runId}/events`, {
    signal: abort.signal,
    headers: {
      ...(options.lastEventId !== undefined ? { "Last-Event-ID": String(options.lastEventId) } : {}),
      ...options.headers,
    },
  });
  if (res.status !== 200 || !res.body) throw new Error(`events: ${res.status} ${await res.text()}`);
  expectSse(res.headers.get("content-type"));
  const out: Sequenced[] = [];
  try {
    await readSse(res.body, (m) => {
      const event = JSON.parse(m.data) as RunEvent;
      out.push({ seq: Number(m.id), type: m.event, event });
      if (options.stopAfter !== undefined && out.length >= options.stopAfter) abort.abort();
    });
  } catch (e) {
    if (!abort.signal.aborted) throw e;
  }
  return out;
}

function expectSse(type: string | null): void {
  if (!type?.startsWith("text/event-stream")) throw new Error(`events: content-type ${type}`);
}

/** Waits until `check` holds (polling). */
export async function until(check: () => Promise<boolean>, what: string, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Submits a workflow; expects 201 and resolves with the run id. */
export async function submit(server: RunningServer, workflow: unknown): Promise<string> {
  const res = await api(server, "POST", "/api/runs", { workflow });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  expect(typeof res.body.runId).toBe("string");
  return res.body.runId as string;
}

/** Waits (on the event stream) for the run to finish; resolves with its report. */
// biome-ignore lint/suspicious/noExplicitAny: answers are JSON read field by field
export async function finished(server: RunningServer, runId: string): Promise<any> {
  const events = await readEvents(server, runId);
  expect(events.at(-1)?.type).toBe("run-finished");
  return (await api(server, "GET", `/api/runs/${runId}`)).body;
}
