/**
 * The bridge of Python's network requests: a character device `/dev/sandflow-net` in the
 * interpreter's file system (Python steps have no JavaScript bridge at all). The prelude's
 * `_sf_net_fetch` opens it, writes the request and reads the reply; the first read
 * performs the request through the step's {@link NetFetch} (the host's checked fetch).
 * Everything crosses as bytes through the capped wasm memory.
 *
 * Request: 4-byte big-endian length, JSON `{url, method, headers}`, then the body.
 * Reply: 4-byte big-endian length, JSON meta (`{ok, status, statusText, url, headers}`
 * or `{ok: false, name, message}`), then the body.
 */
import type { NetFetch, NetResult } from "../worker/net-client.js";

/** Path of the device (the prelude opens it). */
export const NET_DEVICE_PATH = "/dev/sandflow-net";

/** The parts of Emscripten's FS the device needs. */
interface DeviceFS {
  makedev(major: number, minor: number): number;
  registerDevice(dev: number, ops: Record<string, unknown>): void;
  mkdev(path: string, mode: number, dev: number): unknown;
}

interface NetStream {
  sfRequest?: Uint8Array[];
  sfReply?: Uint8Array;
  sfAt?: number;
}

function concat(chunks: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

function framed(meta: unknown, body?: Uint8Array): Uint8Array {
  const metaBytes = new TextEncoder().encode(JSON.stringify(meta));
  const out = new Uint8Array(4 + metaBytes.length + (body?.length ?? 0));
  new DataView(out.buffer).setUint32(0, metaBytes.length);
  out.set(metaBytes, 4);
  if (body) out.set(body, 4 + metaBytes.length);
  return out;
}

function perform(request: Uint8Array, net: NetFetch | undefined): Uint8Array {
  let result: NetResult;
  try {
    const length = new DataView(request.buffer, request.byteOffset).getUint32(0);
    const meta = JSON.parse(new TextDecoder().decode(request.subarray(4, 4 + length))) as {
      url: unknown;
      method: unknown;
      headers: unknown;
    };
    const headers = Array.isArray(meta.headers)
      ? meta.headers.filter(
          (h): h is [string, string] =>
            Array.isArray(h) && typeof h[0] === "string" && typeof h[1] === "string",
        )
      : [];
    const body = request.subarray(4 + length);
    result = net
      ? net({
          url: String(meta.url),
          method: String(meta.method),
          headers,
          ...(body.length > 0 ? { body: body.slice() } : {}),
        })
      : { ok: false, error: { name: "NetworkDeniedError", message: "this interpreter has no network" } };
  } catch {
    result = { ok: false, error: { name: "NetworkError", message: "malformed request" } };
  }
  if (!result.ok) return framed({ ok: false, ...result.error });
  const { body, ...meta } = result.response;
  return framed({ ok: true, ...meta }, body);
}

/** Makes the device in an interpreter; `current` gives the running step's network access. */
export function installNetDevice(fs: DeviceFS, current: () => NetFetch | undefined): void {
  const dev = fs.makedev(64, 0);
  fs.registerDevice(dev, {
    open: (stream: NetStream) => {
      stream.sfRequest = [];
      stream.sfReply = undefined;
      stream.sfAt = 0;
    },
    close: (stream: NetStream) => {
      stream.sfRequest = undefined;
      stream.sfReply = undefined;
    },
    write: (stream: NetStream, buffer: Int8Array, offset: number, length: number) => {
      if (stream.sfReply) return 0;
      stream.sfRequest?.push(new Uint8Array(buffer.buffer, buffer.byteOffset + offset, length).slice());
      return length;
    },
    read: (stream: NetStream, buffer: Int8Array, offset: number, length: number) => {
      stream.sfReply ??= perform(concat(stream.sfRequest ?? []), current());
      stream.sfRequest = [];
      const at = stream.sfAt ?? 0;
      const n = Math.min(length, stream.sfReply.length - at);
      if (n <= 0) return 0;
      new Uint8Array(buffer.buffer, buffer.byteOffset + offset, n).set(stream.sfReply.subarray(at, at + n));
      stream.sfAt = at + n;
      return n;
    },
    llseek: () => 0,
  });
  try {
    fs.mkdev(NET_DEVICE_PATH, 0o666, dev);
  } catch {
    // Made already (an interpreter restored from a snapshot keeps its file system).
  }
}
