/**
 * Array helpers that avoid species lookups: once the intrinsics are frozen (the pool's
 * hardened workers do that) V8 gives up its species fast paths, and TypedArray `subarray`
 * and `slice` get about twice, Array `filter`, `map` and `splice` about ten times slower.
 */

/** A view of `bytes[from, to)` (indices clamped like `subarray`, but never negative). */
export function view(bytes: Uint8Array, from: number, to = bytes.length): Uint8Array {
  const end = Math.min(to, bytes.length);
  const start = Math.min(from, end);
  return new Uint8Array(bytes.buffer, bytes.byteOffset + start, end - start);
}

/** A copy of `bytes[from, to)` (indices clamped like `slice`, but never negative). */
export function copy(bytes: Uint8Array, from = 0, to = bytes.length): Uint8Array {
  const v = view(bytes, from, to);
  const out = new Uint8Array(v.length);
  out.set(v);
  return out;
}

/** Removes and returns `items[i]` (an index in range), keeping the order. */
export function removeAt<T>(items: T[], i: number): T {
  const item = items[i] as T;
  for (let k = i + 1; k < items.length; k++) items[k - 1] = items[k] as T;
  items.length--;
  return item;
}
