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

/**
 * Whether `bytes[from, to)` is all zero, read a word at a time; false for a range that is
 * not word-aligned or not inside `bytes` (callers treat "not known to be zero" as non-zero).
 */
export function isZero(bytes: Uint8Array, from: number, to: number): boolean {
  if (to > bytes.length || from % 4 !== 0 || to % 4 !== 0) return false;
  const words = new Uint32Array(bytes.buffer, bytes.byteOffset + from, (to - from) / 4);
  for (let i = 0; i < words.length; i++) if (words[i] !== 0) return false;
  return true;
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
