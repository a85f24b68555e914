/**
 * CEL expressions (`when`, and the other control-flow fields): the one place sandflow
 * parses and evaluates them, with @marcbachmann/cel-js (an interpreter: no `eval`, no
 * `new Function`, runs in browsers). Workflow files are untrusted, so every expression is
 * bounded: its text, its syntax tree (size and depth), and its evaluation (steps and
 * the bytes it builds), the last by metering the interpreter's evaluator.
 */
import { Environment } from "@marcbachmann/cel-js";
import { err, ok, type Result } from "./result.js";

/** Most characters of an expression. */
export const MAX_EXPRESSION_LENGTH = 2048;
/** Most evaluation steps (nodes visited, loop iterations included) of one evaluation. */
export const MAX_EXPRESSION_STEPS = 100_000;
/** Most characters, list elements and map entries one evaluation may build, summed. */
export const MAX_EXPRESSION_BUILT = 4 * 1024 * 1024;

const LIMITS = {
  maxAstNodes: 512,
  maxDepth: 32,
  maxListElements: 256,
  maxMapEntries: 256,
  maxCallArguments: 16,
};

/** The names an expression may use: `item` and `index` in per-item fields, `output` in `repeat.until`. */
export type ExpressionScope = "step" | "item" | "repeat";

const VARIABLES: Readonly<Record<ExpressionScope, readonly string[]>> = {
  step: ["params", "inputs"],
  item: ["params", "inputs", "item", "index"],
  repeat: ["params", "inputs", "output"],
};

/** An expression that evaluation stopped (a budget, a bad value); its message says which. */
class BudgetExceeded extends Error {}

interface Meter {
  steps: number;
  built: number;
}
/** The meter of the evaluation in progress (evaluation is synchronous: one at a time). */
let meter: Meter | undefined;

type EvalNode = { op: string; evaluate: (ev: unknown, node: EvalNode, ctx: unknown) => unknown };

/**
 * Ops that build nothing: reads of a value that exists already, and a comprehension's
 * push onto its accumulator (the list grows in place; the element was charged when built).
 */
const READS = new Set(["id", ".", ".?", "[]", "[?]", "value", "accuValue", "accuPush"]);

function charge(node: EvalNode, value: unknown): void {
  const m = meter as Meter;
  if (READS.has(node.op)) return;
  let size = 0;
  if (typeof value === "string") size = value.length;
  else if (Array.isArray(value)) size = value.length;
  else if (value instanceof Map) size = value.size;
  else if (value instanceof Uint8Array) size = value.length;
  if (size === 0) return;
  m.built += size;
  if (m.built > MAX_EXPRESSION_BUILT)
    throw new BudgetExceeded(`built more than ${MAX_EXPRESSION_BUILT} characters and elements (the limit)`);
}

function environment(scope: ExpressionScope): Environment {
  const env = new Environment({
    unlistedVariablesAreDyn: false,
    homogeneousAggregateLiterals: false,
    limits: LIMITS,
  });
  for (const name of VARIABLES[scope]) env.registerVariable(name, "dyn");
  // The evaluator is private to the environment; a first evaluation hands it over, and
  // its `run` (through which every node and every loop iteration passes) is metered.
  const probe = env.parse("1");
  const root = probe.ast as unknown as EvalNode;
  root.evaluate = (ev) => {
    const evaluator = ev as { run: (node: EvalNode, ctx: unknown) => unknown };
    evaluator.run = function run(this: unknown, node: EvalNode, ctx: unknown): unknown {
      if (meter && ++meter.steps > MAX_EXPRESSION_STEPS)
        throw new BudgetExceeded(`took more than ${MAX_EXPRESSION_STEPS} evaluation steps (the limit)`);
      const value = node.evaluate(this, node, ctx);
      if (meter) charge(node, value);
      return value;
    };
    return 1n;
  };
  probe(Object.fromEntries(VARIABLES[scope].map((v) => [v, null])));
  return env;
}

const environments = new Map<ExpressionScope, Environment>();
function environmentOf(scope: ExpressionScope): Environment {
  let env = environments.get(scope);
  if (!env) {
    env = environment(scope);
    environments.set(scope, env);
  }
  return env;
}

/** A parsed, type-checked expression. */
export interface CompiledExpression {
  readonly source: string;
  /** The value, as JSON data (CEL integers as numbers), or why it could not be computed. */
  evaluate(variables: Readonly<Record<string, unknown>>): Result<unknown, string>;
}

function firstLine(e: unknown): string {
  const message = e instanceof Error ? e.message : String(e);
  return (message.split("\n")[0] ?? message).trim();
}

/** JSON data as CEL values: whole numbers become CEL ints (so `index + 1` and `n * 2` are ints). */
function toCel(value: unknown): unknown {
  if (typeof value === "number") return Number.isSafeInteger(value) ? BigInt(value) : value;
  if (Array.isArray(value)) return value.map(toCel);
  if (value !== null && typeof value === "object") {
    const out = new Map<string, unknown>();
    for (const key of Object.keys(value)) out.set(key, toCel((value as Record<string, unknown>)[key]));
    return out;
  }
  return value;
}

/** A CEL value as JSON data. */
function fromCel(value: unknown, where = "the value"): unknown {
  if (typeof value === "bigint") {
    const n = Number(value);
    if (!Number.isSafeInteger(n)) throw new BudgetExceeded(`${where} is an integer too large for JSON`);
    return n;
  }
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new BudgetExceeded(`${where} is ${value}, which is not JSON`);
    return value;
  }
  if (value === null || typeof value === "string" || typeof value === "boolean") return value;
  if (Array.isArray(value)) return value.map((v, i) => fromCel(v, `${where}[${i}]`));
  if (value instanceof Map) {
    const out = Object.create(null) as Record<string, unknown>;
    for (const [k, v] of value) {
      if (typeof k !== "string") throw new BudgetExceeded(`${where} has a key that is not a string`);
      out[k] = fromCel(v, `${where}.${k}`);
    }
    return out;
  }
  const proto = typeof value === "object" ? Object.getPrototypeOf(value) : undefined;
  if (proto === Object.prototype || proto === null) {
    // A map literal ({'a': 1}) is a plain object.
    const out = Object.create(null) as Record<string, unknown>;
    for (const k of Object.keys(value as object))
      out[k] = fromCel((value as Record<string, unknown>)[k], `${where}.${k}`);
    return out;
  }
  throw new BudgetExceeded(
    `${where} is a CEL ${value?.constructor?.name ?? typeof value}, which is not JSON`,
  );
}

/**
 * Functions an expression may not call: `matches` runs the pattern with JavaScript's
 * backtracking RegExp (CEL means RE2), so `"aaaa…c".matches("(a+)+b")` would take minutes.
 */
const REFUSED_FUNCTIONS: Readonly<Record<string, string>> = {
  matches:
    "matches() is not available (JavaScript regular expressions can take exponential time); use contains, startsWith, endsWith or split",
};

/** The first refused function the syntax tree calls, if any. */
function refusedCall(node: unknown, seen = 0): string | undefined {
  if (node === null || typeof node !== "object" || seen > 10_000) return undefined;
  if (Array.isArray(node)) {
    for (const child of node) {
      const found = refusedCall(child, seen + 1);
      if (found) return found;
    }
    return undefined;
  }
  const { op, args } = node as { op?: unknown; args?: unknown };
  if ((op === "call" || op === "rcall") && Array.isArray(args) && typeof args[0] === "string") {
    const why = Object.hasOwn(REFUSED_FUNCTIONS, args[0]) ? REFUSED_FUNCTIONS[args[0]] : undefined;
    if (why) return why;
  }
  return typeof op === "string" ? refusedCall(args, seen + 1) : undefined;
}

/**
 * Parses and type-checks a CEL expression for `scope`.
 * @returns the expression, or a message saying what is wrong with it (for a validation issue).
 */
export function compileExpression(
  source: string,
  scope: ExpressionScope = "step",
): Result<CompiledExpression, string> {
  if (source.length > MAX_EXPRESSION_LENGTH)
    return err(`the expression is ${source.length} characters long; the limit is ${MAX_EXPRESSION_LENGTH}`);
  if (source.trim() === "") return err("the expression is empty");
  const env = environmentOf(scope);
  let parsed: ReturnType<Environment["parse"]>;
  try {
    parsed = env.parse(source);
  } catch (e) {
    return err(`not a valid CEL expression: ${firstLine(e)}`);
  }
  const refused = refusedCall(parsed.ast);
  if (refused) return err(refused);
  const checked = parsed.check();
  if (!checked.valid) {
    const why = firstLine(checked.error);
    const names = VARIABLES[scope].join(", ");
    return err(`not a valid CEL expression: ${why}${/variable/i.test(why) ? ` (it may use ${names})` : ""}`);
  }
  return ok({
    source,
    evaluate(variables) {
      const context: Record<string, unknown> = {};
      for (const name of VARIABLES[scope]) context[name] = toCel(variables[name] ?? null);
      meter = { steps: 0, built: 0 };
      try {
        return ok(fromCel(parsed(context)));
      } catch (e) {
        if (e instanceof RangeError) return err("the expression nests too deeply to evaluate");
        return err(firstLine(e));
      } finally {
        meter = undefined;
      }
    },
  });
}
