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

/** Problems found in entries zod lost (it never validated them). */
export type LostIssues = z.core.$ZodIssue[];

/**
 * The record `parsed` (zod's output for `raw`) with every own key of `raw`: when zod lost
 * an entry (a `__proto__` key), a prototype-free copy with that entry validated now from
 * `raw` with `valueSchema` (zod dropped it unchecked: what is wrong with it goes to
 * `issues`, at `path`); otherwise `parsed` itself (all its entries are own keys).
 */
export function ownRecord<T>(
  raw: unknown,
  parsed: Readonly<Record<string, T>>,
  valueSchema: z.ZodType<T>,
  path: readonly PropertyKey[],
  issues: LostIssues,
): Record<string, T> {
  if (typeof raw !== "object" || raw === null) return nullProtoRecord(parsed);
  const source = raw as Record<string, unknown>;
  const keys = Object.keys(source);
  // Nothing lost (the usual case): every entry is an own key already; lookups go by own keys.
  if (keys.length === Object.keys(parsed).length) return parsed as Record<string, T>;
  const out = Object.create(null) as Record<string, T>;
  for (const key of keys) {
    if (Object.hasOwn(parsed, key)) {
      out[key] = parsed[key] as T;
      continue;
    }
    const checked = valueSchema.safeParse(source[key], { reportInput: true });
    if (checked.success) out[key] = checked.data;
    else issues.push(...checked.error.issues.map((i) => ({ ...i, path: [...path, key, ...i.path] })));
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

function withOwnEnv<S extends { env?: Record<string, string> | undefined }>(
  raw: unknown,
  parsed: S,
  path: readonly PropertyKey[],
  issues: LostIssues,
): S {
  return parsed.env === undefined
    ? parsed
    : { ...parsed, env: ownRecord(rawField(raw, "env"), parsed.env, envValue, [...path, "env"], issues) };
}

/**
 * A parsed workflow spec whose `steps`, every `env` and every step's `params` hold all the keys of the raw value
 * (see {@link ownRecord}), with what is wrong with the entries zod had lost.
 */
export function withOwnRecords(raw: unknown, spec: ParsedSpec): { spec: ParsedSpec; issues: LostIssues } {
  const issues: LostIssues = [];
  const rawSteps = rawField(raw, "steps");
  const steps = ownRecord<ParsedStep>(rawSteps, spec.steps, stepSpecSchema, ["steps"], issues);
  for (const id of Object.keys(steps)) {
    const step = steps[id] as ParsedStep;
    if (step.env !== undefined) steps[id] = withOwnEnv(rawField(rawSteps, id), step, ["steps", id], issues);
    const params = steps[id]?.params;
    if (params !== undefined)
      steps[id] = {
        ...(steps[id] as ParsedStep),
        params: ownRecord(
          rawField(rawField(rawSteps, id), "params"),
          params,
          envValue,
          ["steps", id, "params"],
          issues,
        ),
      };
  }
  const defaults =
    spec.defaults && withOwnEnv(rawField(raw, "defaults"), spec.defaults, ["defaults"], issues);
  return { spec: { ...spec, steps, ...(defaults ? { defaults } : {}) }, issues };
}
