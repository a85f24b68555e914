/**
 * Records keyed by strings a workflow author chooses (step ids, env names): always
 * prototype-free, so `__proto__`, `constructor` or `toString` are keys like any other.
 * zod's record output assigns keys with `=`, which for `__proto__` sets the prototype and
 * loses the entry: {@link ownRecord} rebuilds such a record from the raw input's own keys.
 */
import { z } from "zod";
import { stepSpecSchema, type workflowSpecSchema } from "./schema.js";

/** A new prototype-free record holding the own enumerable entries of each source, later ones winning. */
export function nullProtoRecord<T>(
  ...sources: (Readonly<Record<string, T>> | undefined)[]
): Record<string, T> {
  const out = Object.create(null) as Record<string, T>;
  for (const source of sources)
    if (source) for (const key of Object.keys(source)) out[key] = source[key] as T;
  return out;
}

/**
 * The record `parsed` (zod's output for `raw`) with every own key of `raw`, prototype-free:
 * an entry zod lost (a `__proto__` key) is parsed again from `raw` with `valueSchema` (it
 * already passed as part of the whole, so this cannot fail).
 */
export function ownRecord<T>(
  raw: unknown,
  parsed: Readonly<Record<string, T>>,
  valueSchema: z.ZodType<T>,
): Record<string, T> {
  const out = Object.create(null) as Record<string, T>;
  if (typeof raw !== "object" || raw === null) return nullProtoRecord(parsed);
  const source = raw as Record<string, unknown>;
  for (const key of Object.keys(source)) {
    out[key] = Object.hasOwn(parsed, key) ? (parsed[key] as T) : valueSchema.parse(source[key]);
  }
  return out;
}

type ParsedSpec = z.output<typeof workflowSpecSchema>;
type ParsedStep = z.output<typeof stepSpecSchema>;

const envValue = z.string();

function rawField(raw: unknown, key: string): unknown {
  return typeof raw === "object" && raw !== null && Object.hasOwn(raw, key)
    ? (raw as Record<string, unknown>)[key]
    : undefined;
}

function withOwnEnv<S extends { env?: Record<string, string> | undefined }>(raw: unknown, parsed: S): S {
  return parsed.env === undefined
    ? parsed
    : { ...parsed, env: ownRecord(rawField(raw, "env"), parsed.env, envValue) };
}

/** A parsed workflow spec whose `steps` and every `env` hold all the keys of the raw value, prototype-free. */
export function withOwnRecords(raw: unknown, spec: ParsedSpec): ParsedSpec {
  const rawSteps = rawField(raw, "steps");
  const steps = ownRecord<ParsedStep>(rawSteps, spec.steps, stepSpecSchema);
  for (const id of Object.keys(steps))
    steps[id] = withOwnEnv(rawField(rawSteps, id), steps[id] as ParsedStep);
  const defaults = spec.defaults && withOwnEnv(rawField(raw, "defaults"), spec.defaults);
  return { ...spec, steps, ...(defaults ? { defaults } : {}) };
}
