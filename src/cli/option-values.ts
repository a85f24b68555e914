/** Parsers of the CLI's option values: each throws commander's InvalidArgumentError naming the option. */
import { InvalidArgumentError } from "commander";
import { parseDuration } from "../core/durable/duration.js";
import { parseRate } from "../core/run-limits.js";

/** A parser of a positive integer for the option `name`. */
export function positiveInt(name: string): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`${name} must be a positive integer`);
    return n;
  };
}

/** Collects `--rate-limit key=n/unit` into an object. */
export function rateLimitOption(
  value: string,
  previous: Record<string, string> = {},
): Record<string, string> {
  const m = /^([^=]+)=(.+)$/.exec(value);
  if (!m || !parseRate(m[2] as string))
    throw new InvalidArgumentError(`--rate-limit must be KEY=<n>/<s|m|h> such as api=10/s, got '${value}'`);
  return { ...previous, [m[1] as string]: m[2] as string };
}

/** A parser of a duration ("30d", "12h", "1h30m") in milliseconds for the option `name`. */
export function durationOption(name: string): (value: string) => number {
  return (value) => {
    const ms = parseDuration(value);
    if (ms === undefined || ms <= 0)
      throw new InvalidArgumentError(`${name} must be a duration such as 30d, 12h or 1h30m, got '${value}'`);
    return ms;
  };
}
