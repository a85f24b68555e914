/**
 * How deep JSON values from outside (run params, signal and event data) may nest. JSON.parse
 * reads any depth, but JSON.stringify and structured clone recurse and throw RangeError at a
 * few thousand levels: a value that deep would fail later, far from where it came in (a
 * store write that fails with "Maximum call stack size exceeded").
 */

/** Deepest nesting of arrays and objects a run's params, a signal's or an event's data, or a step's result may have. */
export const MAX_JSON_DEPTH = 256;

/** Whether arrays and objects in `value` nest deeper than `max` levels (a walk without recursion). */
export function nestedDeeperThan(value: unknown, max = MAX_JSON_DEPTH): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  for (let top = stack.pop(); top !== undefined; top = stack.pop()) {
    const [v, depth] = top;
    if (v === null || typeof v !== "object") continue;
    if (depth + 1 > max) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v)) {
      if (child !== null && typeof child === "object") stack.push([child, depth + 1]);
    }
  }
  return false;
}
