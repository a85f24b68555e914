/**
 * The handshake of a step's network request (see src/core/net-grant.ts): the worker
 * posts a `net-request` event carrying a growable SharedArrayBuffer and blocks on it with
 * Atomics.wait; the host checks the grant, performs the fetch, grows the buffer to fit
 * the reply, writes it and wakes the worker. Synchronous on the worker's side, so that
 * synchronous APIs (urllib, shell wget) can use it. No zod here: worker code imports it.
 *
 * Layout: Int32 cells [state, metaLength, bodyLength, 0], then the meta JSON (UTF-8),
 * then the body bytes.
 */

/** Int32 cells of the reply buffer. */
export const NET_REPLY = {
  /** 0 while the host works; 1 once the reply is written. */
  STATE: 0,
  META_LENGTH: 1,
  BODY_LENGTH: 2,
  /** Byte offset of the meta JSON. */
  DATA_OFFSET: 16,
  /** Most bytes of the meta JSON (headers past it are dropped). */
  MAX_META: 256 * 1024,
} as const;

/** What a step asks the host to fetch. */
export interface NetRequest {
  readonly url: string;
  readonly method: string;
  readonly headers: readonly (readonly [string, string])[];
  readonly body?: Uint8Array;
}

/** The host's answer, without the body. */
export type NetReplyMeta =
  | {
      readonly ok: true;
      readonly status: number;
      readonly statusText: string;
      /** The URL of the final response (after redirects). */
      readonly url: string;
      readonly headers: readonly (readonly [string, string])[];
    }
  | { readonly ok: false; readonly name: string; readonly message: string };

/** A reply buffer able to hold a body of `maxBytes`. */
export function createReplyBuffer(maxBytes: number): SharedArrayBuffer {
  const Growable = SharedArrayBuffer as unknown as new (
    length: number,
    options: { maxByteLength: number },
  ) => SharedArrayBuffer;
  return new Growable(NET_REPLY.DATA_OFFSET, {
    maxByteLength: NET_REPLY.DATA_OFFSET + NET_REPLY.MAX_META + maxBytes,
  });
}

/** Writes the reply and wakes the worker (host side). False when the buffer cannot hold it. */
export function writeReply(buffer: SharedArrayBuffer, meta: NetReplyMeta, body?: Uint8Array): boolean {
  const growable = buffer as unknown as { growable?: boolean; maxByteLength?: number; grow(n: number): void };
  const cells = new Int32Array(buffer, 0, 4);
  let metaBytes = new TextEncoder().encode(JSON.stringify(meta));
  if (metaBytes.length > NET_REPLY.MAX_META && meta.ok) {
    metaBytes = new TextEncoder().encode(JSON.stringify({ ...meta, headers: [] }));
  }
  const bodyBytes = body ?? new Uint8Array(0);
  const total = NET_REPLY.DATA_OFFSET + metaBytes.length + bodyBytes.length;
  if (buffer.byteLength < total) {
    if (!growable.growable || (growable.maxByteLength ?? 0) < total) return false;
    growable.grow(total);
  }
  const bytes = new Uint8Array(buffer);
  bytes.set(metaBytes, NET_REPLY.DATA_OFFSET);
  bytes.set(bodyBytes, NET_REPLY.DATA_OFFSET + metaBytes.length);
  cells[NET_REPLY.META_LENGTH] = metaBytes.length;
  cells[NET_REPLY.BODY_LENGTH] = bodyBytes.length;
  Atomics.store(cells, NET_REPLY.STATE, 1);
  Atomics.notify(cells, NET_REPLY.STATE);
  return true;
}

/** Reads a written reply (worker side). The body is a copy. */
export function readReply(buffer: SharedArrayBuffer): { meta: NetReplyMeta; body: Uint8Array } {
  const cells = new Int32Array(buffer, 0, 4);
  const metaLength = cells[NET_REPLY.META_LENGTH] as number;
  const bodyLength = cells[NET_REPLY.BODY_LENGTH] as number;
  const bytes = new Uint8Array(buffer);
  const metaText = new TextDecoder().decode(
    bytes.slice(NET_REPLY.DATA_OFFSET, NET_REPLY.DATA_OFFSET + metaLength),
  );
  const start = NET_REPLY.DATA_OFFSET + metaLength;
  return { meta: JSON.parse(metaText) as NetReplyMeta, body: bytes.slice(start, start + bodyLength) };
}
