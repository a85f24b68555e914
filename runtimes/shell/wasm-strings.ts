/**
 * Strings in and out of wasm memory without a TextEncoder/TextDecoder call for the short
 * ASCII strings (paths, names) that most host calls carry, and argv/environ blocks
 * encoded once per list.
 */

import { view } from "./arrays.js";

const dec = new TextDecoder();
const enc = new TextEncoder();

/** The UTF-8 string at `ptr` (`len` bytes); invalid sequences become U+FFFD. */
export function readString(mem: Uint8Array, ptr: number, len: number): string {
  if (len > 64) return dec.decode(view(mem, ptr, ptr + len));
  let s = "";
  for (let i = ptr; i < ptr + len; i++) {
    const c = mem[i] as number;
    if (c >= 0x80) return dec.decode(view(mem, ptr, ptr + len));
    s += String.fromCharCode(c);
  }
  return s;
}

/** The UTF-8 text in `bytes` (short ASCII without a TextDecoder call). */
export function decodeUtf8(bytes: Uint8Array): string {
  return bytes.byteLength <= 64 ? readString(bytes, 0, bytes.byteLength) : dec.decode(bytes);
}

/** UTF-8 bytes of `s` (a plain loop for short ASCII, which beats a TextEncoder call). */
export function encodeUtf8(s: string): Uint8Array {
  const n = s.length;
  if (n > 64) return enc.encode(s);
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80) return enc.encode(s);
    out[i] = c;
  }
  return out;
}

/** UTF-8 byte length of `s`. */
export function utf8Length(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) n += 1;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 2; // a surrogate pair: 4 bytes for 2 units
      i++;
    } else n += 2; // 3 bytes (a lone surrogate is encoded as U+FFFD, also 3 bytes)
  }
  return n;
}

/** A string list as WASI's args_get/environ_get lay it out: NUL-terminated UTF-8, end to end. */
export interface EncodedList {
  readonly bytes: Uint8Array;
  /** Start of each string in `bytes`. */
  readonly offsets: readonly number[];
}

/**
 * The last few lists encoded, by identity: a step's processes share its argv and environ
 * lists (forks keep their parent's), so a handful covers every lookup. A WeakMap would do
 * the same, but its entries are ephemerons that keep each step's strings alive into the
 * old generation (about 15 % of what every other scavenge promoted).
 */
const CACHED = 4;
const cachedLists: (readonly string[] | undefined)[] = new Array(CACHED).fill(undefined);
const cachedCodes: (EncodedList | undefined)[] = new Array(CACHED).fill(undefined);
let nextCached = 0;

/** The encoding of `list`, made once per list while it is among the last few used. */
export function encodeList(list: readonly string[]): EncodedList {
  for (let i = 0; i < CACHED; i++) if (cachedLists[i] === list) return cachedCodes[i] as EncodedList;
  const e = encodeNew(list);
  cachedLists[nextCached] = list;
  cachedCodes[nextCached] = e;
  nextCached = (nextCached + 1) % CACHED;
  return e;
}

function encodeNew(list: readonly string[]): EncodedList {
  // one buffer for the whole list; ASCII strings (nearly all) are copied without an encoder
  let size = 0;
  let ascii = true;
  for (let i = 0; i < list.length; i++) {
    const s = list[i] as string;
    size += s.length + 1;
    if (ascii) for (let j = 0; j < s.length; j++) if (s.charCodeAt(j) >= 0x80) ascii = false;
  }
  const offsets: number[] = new Array(list.length);
  if (!ascii) {
    let off = 0;
    for (let i = 0; i < list.length; i++) {
      offsets[i] = off;
      off += utf8Length(list[i] as string) + 1;
    }
    return { bytes: list.length === 0 ? new Uint8Array(0) : enc.encode(`${list.join("\0")}\0`), offsets };
  }
  const bytes = new Uint8Array(size);
  let off = 0;
  for (let i = 0; i < list.length; i++) {
    const s = list[i] as string;
    offsets[i] = off;
    for (let j = 0; j < s.length; j++) bytes[off + j] = s.charCodeAt(j);
    off += s.length + 1;
  }
  return { bytes, offsets };
}

/** Writes `list` for args_get/environ_get: pointers at `ptrs`, the strings at `buf`. */
export function writeList(
  list: readonly string[],
  view: DataView,
  mem: Uint8Array,
  ptrs: number,
  buf: number,
): void {
  const { bytes, offsets } = encodeList(list);
  mem.set(bytes, buf);
  for (let i = 0; i < offsets.length; i++) view.setUint32(ptrs + 4 * i, buf + (offsets[i] as number), true);
}
