/**
 * fast-check arbitraries for the workflow-file fuzz test: workflow-like values (mostly
 * right, often wrong), their Lua/YAML/JSON text, random text, and mutations of the text.
 */
import fc from "fast-check";
import { stringify as toYaml } from "yaml";

/** Step ids, right and wrong. */
const stepId = fc.oneof(
  fc.constantFrom(
    "a",
    "b",
    "fetch",
    "step_1",
    "x.y-z",
    "__proto__",
    "constructor",
    "toString",
    "",
    "1bad",
    "a b",
  ),
  fc.string({ maxLength: 12 }),
);

/** A field value of any JSON kind. */
const anyValue = fc.jsonValue({ maxDepth: 3 });

const stepSpec = fc.record(
  {
    language: fc.oneof(
      fc.constantFrom("python", "lua", "shell", "sh", "bash", "ruby", "PYTHON", ""),
      anyValue,
    ),
    code: fc.oneof(
      fc.constantFrom("function run() return 1 end", "def run():\n    return 1", "echo 1", ""),
      fc.string({ maxLength: 40 }),
      anyValue,
    ),
    file: fc.oneof(fc.constantFrom("step.lua", "../outside.lua", "/etc/passwd", "dir", "link"), anyValue),
    depends_on: fc.oneof(fc.array(stepId, { maxLength: 3 }), anyValue),
    timeout: fc.oneof(fc.double(), fc.integer(), anyValue),
    retries: fc.oneof(fc.integer({ min: -2, max: 200 }), anyValue),
    retry_delay: fc.oneof(fc.double(), anyValue),
    retry_backoff: fc.oneof(fc.double(), anyValue),
    memory: fc.oneof(fc.double(), fc.integer(), anyValue),
    env: fc.oneof(
      fc.dictionary(fc.string({ maxLength: 8 }), fc.string({ maxLength: 8 }), { maxKeys: 3 }),
      anyValue,
    ),
    description: anyValue,
    unknown_field: anyValue,
  },
  { requiredKeys: [] },
);

/** A workflow-like value: the right shape with wrong parts, or anything at all. */
export const workflowValue: fc.Arbitrary<unknown> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record(
      {
        name: fc.oneof(fc.string({ maxLength: 12 }), anyValue),
        description: anyValue,
        concurrency: fc.oneof(fc.integer({ min: -5, max: 20_000 }), anyValue),
        defaults: fc.oneof(stepSpec, anyValue),
        steps: fc.oneof({ weight: 5, arbitrary: fc.dictionary(stepId, stepSpec, { maxKeys: 5 }) }, anyValue),
        extra: anyValue,
      },
      { requiredKeys: ["steps"] },
    ),
  },
  { weight: 1, arbitrary: fc.anything({ maxDepth: 3 }) },
);

const luaString = (s: string) =>
  `"${Array.from(new TextEncoder().encode(s), (b) =>
    b >= 32 && b < 127 && b !== 34 && b !== 92 ? String.fromCharCode(b) : `\\${b}`,
  ).join("")}"`;

/** A value as a Lua expression (NaN and infinities as Lua expressions). */
export function toLua(value: unknown, depth = 0): string {
  if (depth > 20) return "nil";
  if (value === null || value === undefined) return "nil";
  if (typeof value === "boolean") return String(value);
  if (typeof value === "number") {
    if (Number.isNaN(value)) return "(0/0)";
    if (!Number.isFinite(value)) return value > 0 ? "math.huge" : "-math.huge";
    return Object.is(value, -0) ? "-0.0" : String(value);
  }
  if (typeof value === "string") return luaString(value);
  if (Array.isArray(value)) return `{ ${value.map((v) => toLua(v, depth + 1)).join(", ")} }`;
  if (typeof value === "object") {
    const fields = Object.entries(value as Record<string, unknown>).map(
      ([k, v]) => `[${luaString(k)}] = ${toLua(v, depth + 1)}`,
    );
    return `{ ${fields.join(", ")} }`;
  }
  return "nil";
}

/** The formats of workflow files. */
export type Format = "lua" | "yaml" | "json";

/** A workflow-like value as the text of a file in `format`. */
export function render(value: unknown, format: Format): string {
  if (format === "lua") return `workflow = ${toLua(value)}\n`;
  if (format === "yaml") {
    try {
      return toYaml(value, { aliasDuplicateObjects: false }) ?? "";
    } catch {
      return String(value);
    }
  }
  try {
    return JSON.stringify(value) ?? "null";
  } catch {
    return String(value);
  }
}

/** Bits of syntax mutations insert. */
const TOKENS = [
  "{",
  "}",
  "[",
  "]",
  "[[",
  "]]",
  "--",
  "--[[",
  "=",
  ",",
  ":",
  "- ",
  "&a ",
  "*a",
  "<<: *a",
  "!!binary ",
  "!include ",
  '"',
  "'",
  "\\",
  "\\u0000",
  "\u0000",
  "\n",
  "\n  ",
  "\t",
  "\ufeff",
  "\ud800",
  "end",
  "function",
  "return",
  "local",
  "nil",
  "1e999",
  "-0",
  "NaN",
  "...",
  "#",
  "%",
  "workflow = ",
  "steps",
  "depends_on",
  "__proto__",
  "\r\n",
  "\x1bLua",
];

const edit = fc.oneof(
  fc.record({ kind: fc.constant("delete" as const), at: fc.nat(), length: fc.nat({ max: 20 }) }),
  fc.record({
    kind: fc.constant("insert" as const),
    at: fc.nat(),
    text: fc.oneof(fc.constantFrom(...TOKENS), fc.string({ maxLength: 6, unit: "binary" })),
  }),
  fc.record({ kind: fc.constant("duplicate" as const), at: fc.nat(), length: fc.nat({ max: 40 }) }),
  fc.record({ kind: fc.constant("truncate" as const), at: fc.nat() }),
);

/** One edit of {@link mutate}. */
export type Edit = typeof edit extends fc.Arbitrary<infer T> ? T : never;

/** Applies random edits to `text`. */
export function mutate(text: string, edits: readonly Edit[]): string {
  let out = text;
  for (const e of edits) {
    const at = out.length === 0 ? 0 : e.at % (out.length + 1);
    if (e.kind === "delete") out = out.slice(0, at) + out.slice(at + e.length);
    else if (e.kind === "insert") out = out.slice(0, at) + e.text + out.slice(at);
    else if (e.kind === "duplicate") out = out.slice(0, at) + out.slice(at, at + e.length) + out.slice(at);
    else out = out.slice(0, at);
  }
  return out;
}

/** Edits for {@link mutate}. */
export const edits = fc.array(edit, { minLength: 1, maxLength: 6 });

/** A format, or none (detected from the text). */
export const formatOrDetect = fc.constantFrom<Format | undefined>("lua", "yaml", "json", undefined);

/** Random text, from plain to binary. */
export const randomText = fc.oneof(
  fc.string({ maxLength: 200 }),
  fc.string({ maxLength: 200, unit: "binary" }),
  fc.string({ maxLength: 200, unit: fc.constantFrom(...TOKENS) }),
);
