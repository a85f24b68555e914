/**
 * The shell step contract: the environment a step sees, the bootstrap script that
 * sources the step's code (and calls `run "$inputs"` when it defines `run`), and how
 * stdout, the exit status and $SANDFLOW_OUTPUT become the step's result.
 */
import type { StepFailure, StepInvocation } from "../worker/language-runtime.js";
import { WGET_FUNCTION } from "./net-device.js";
import { RUN_DIR } from "./root-fs.js";

export const STEP_SCRIPT = `${RUN_DIR}/step.sh`;
export const OUTPUT_FILE = `${RUN_DIR}/output.json`;

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** `INPUT_<ID>`: the id upper-cased, every other character than A-Z and 0-9 as `_`. */
export function inputVarName(id: string): string {
  return `INPUT_${id.toUpperCase().replace(/[^A-Z0-9]/g, "_")}`;
}

const shQuote = (s: string): string => (s.includes("'") ? `'${s.replace(/'/g, `'\\''`)}'` : `'${s}'`);

/** The environment every step starts with (the step's own variables come on top). */
const BASE_ENV: readonly (readonly [string, string])[] = [
  ["PATH", "/bin:/usr/bin"],
  ["HOME", "/workspace"],
  ["PWD", "/workspace"],
  ["USER", "sandflow"],
  ["LOGNAME", "sandflow"],
  ["SHELL", "/bin/sh"],
  ["TMPDIR", "/tmp"],
  ["SANDFLOW_OUTPUT", OUTPUT_FILE],
];

export interface PreparedStep {
  /** argv and environment of a root shell of the step's own (made when asked: most steps start from the template). */
  readonly fresh: () => { readonly args: string[]; readonly env: string[] };
  /**
   * The same step for a root shell started from the prepared template (step-template.ts):
   * the text the template's shell sources, which sets what differs from TEMPLATE_ENV and runs
   * the step; undefined when the step needs a shell of its own (see `templateFits`).
   */
  readonly prelude: string | undefined;
}

const NO_INPUT = `echo "parse_input: no input from a step named '$1'" >&2; return 1`;
const NO_PARAM = `echo "param: the run has no param named '$1'" >&2; return 1`;

/** Variables ash treats specially when it starts (setting them later is not the same). */
const STARTUP_VARS = new Set(["PWD", "OLDPWD", "PPID", "ENV", "RANDOM", "SECONDS", "LINENO", "SHLVL"]);
/** Preludes past this size go the old way (ash parses a prelude more slowly than it imports env). */
const MAX_PRELUDE = 16384;

const BASE_VALUES = new Map(BASE_ENV);

/** The environment of the template's shell. */
export const TEMPLATE_ENV: readonly string[] = BASE_ENV.map(([k, v]) => `${k}=${v}`);

/**
 * The template's script: everything of the bootstrap that is the same for every step, up to
 * reading the step's prelude from stdin (a pipe, on which the template parks; see
 * step-template.ts). $0 is the step script's path, as in the bootstrap.
 */
export const TEMPLATE_ARGS: readonly string[] = [
  "sh",
  "-c",
  [
    `parse_input() { ${NO_INPUT}; }`,
    `param() { ${NO_PARAM}; }`,
    "cd /workspace || exit 1",
    ". /dev/stdin",
  ].join("\n"),
  STEP_SCRIPT,
];

/** The step's part of the bootstrap, after the environment and the helper functions. */
const RUN_STEP = [
  `. ${STEP_SCRIPT}`,
  "__sandflow_status=$?",
  // ash's `command -v` writes nothing to stderr; each redirection costs host calls
  'if command -v run >/dev/null; then run "$__sandflow_inputs"; exit $?; fi',
  "exit $__sandflow_status",
];

/** The prelude for the template's shell, or undefined when the step does not fit it. */
function prelude(
  env: ReadonlyMap<string, string>,
  inputsJson: string,
  cases: readonly string[],
  paramCases: readonly string[],
  wget: boolean,
): string | undefined {
  const exports: string[] = [];
  for (const [k, v] of env) {
    if (BASE_VALUES.get(k) === v) continue;
    if (STARTUP_VARS.has(k)) return undefined;
    exports.push(`${k}=${shQuote(v)}`);
  }
  const lines = [
    ...(exports.length > 0 ? [`export ${exports.join(" ")}`] : []),
    // the template's $RANDOM was seeded once, when it was made (ash seeds it from the pid
    // and the clock: not a secret, so Math.random, which costs far less than crypto's)
    `RANDOM=${Math.floor(Math.random() * 0xffffffff) + 1}`,
    `__sandflow_inputs=${shQuote(inputsJson)}`,
    ...(cases.length > 0 ? [parseInputFunction(cases)] : []),
    ...(paramCases.length > 0 ? [paramFunction(paramCases)] : []),
    ...(wget ? [WGET_FUNCTION] : []),
    ...RUN_STEP,
    "",
  ];
  const text = lines.join("\n");
  return text.length > MAX_PRELUDE ? undefined : text;
}

function parseInputFunction(cases: readonly string[]): string {
  return cases.length === 0
    ? `parse_input() { ${NO_INPUT}; }`
    : ["parse_input() {", 'case "$1" in', ...cases, `*) ${NO_INPUT};;`, "esac", "}"].join("\n");
}

function paramFunction(paramCases: readonly string[]): string {
  return paramCases.length === 0
    ? `param() { ${NO_PARAM}; }`
    : ["param() {", 'case "$1" in', ...paramCases, `*) ${NO_PARAM};;`, "esac", "}"].join("\n");
}

/** Parses the inputs object; throws RangeError with a clear message when it is not one. */
function parseInputs(inputsJson: string): Record<string, unknown> {
  let inputs: unknown;
  try {
    inputs = JSON.parse(inputsJson);
  } catch (e) {
    throw new RangeError(`inputsJson is not valid JSON: ${(e as Error).message}`);
  }
  if (inputs === null || typeof inputs !== "object" || Array.isArray(inputs)) {
    throw new RangeError("inputsJson must be a JSON object of dependency outputs");
  }
  return inputs as Record<string, unknown>;
}

/** The step's context (`{ params, item?, index? }`); throws RangeError when it is not an object. */
function parseContext(contextJson: string | undefined): {
  params?: Record<string, unknown>;
  item?: unknown;
  index?: number;
} {
  if (contextJson === undefined) return {};
  const context: unknown = JSON.parse(contextJson);
  if (context === null || typeof context !== "object" || Array.isArray(context))
    throw new RangeError("contextJson must be a JSON object");
  return context as { params?: Record<string, unknown> };
}

/** Builds argv and the environment of the step's root shell. */
export function prepareStep(inv: StepInvocation): PreparedStep {
  const inputs = parseInputs(inv.inputsJson);
  const env = new Map<string, string>(BASE_ENV);
  for (const [k, v] of Object.entries(inv.env)) {
    if (!NAME.test(k)) throw new RangeError(`environment variable name ${JSON.stringify(k)} is not valid`);
    if (typeof v !== "string" || v.includes("\0")) {
      throw new RangeError(`environment variable ${k} must be a string without NUL characters`);
    }
    env.set(k, v);
  }
  const cases: string[] = [];
  for (const [id, value] of Object.entries(inputs)) {
    const name = inputVarName(id);
    env.set(name, JSON.stringify(value) ?? "null");
    cases.push(`${shQuote(id)}) printf '%s\\n' "$${name}";;`);
  }
  env.set("SANDFLOW_OUTPUT", OUTPUT_FILE);
  const context = parseContext(inv.contextJson);
  const params = context.params ?? {};
  const paramCases: string[] = [];
  env.set("SANDFLOW_PARAMS", JSON.stringify(params));
  for (const [name, value] of Object.entries(params)) {
    if (!NAME.test(name)) throw new RangeError(`param name ${JSON.stringify(name)} is not valid`);
    env.set(`SANDFLOW_PARAM_${name}`, JSON.stringify(value));
    paramCases.push(`${shQuote(name)}) printf '%s\\n' "$SANDFLOW_PARAM_${name}";;`);
  }
  if ("item" in context) {
    env.set("SANDFLOW_ITEM", JSON.stringify(context.item) ?? "null");
    env.set("SANDFLOW_INDEX", String(context.index));
  }
  env.set("SANDFLOW_ATTEMPT", String(inv.attempt));
  env.set("SANDFLOW_STEP_ID", inv.stepId);
  env.set("SANDFLOW_RUN_ID", inv.runId);
  for (const [k, v] of env)
    if (v.includes("\0")) throw new RangeError(`${k} must not contain NUL characters`);

  const wget = inv.code.includes("wget");
  return {
    fresh: () => ({
      env: Array.from(env, ([k, v]) => `${k}=${v}`),
      args: ["sh", "-c", bootstrap(cases, paramCases, wget), STEP_SCRIPT, inv.inputsJson],
    }),
    prelude: prelude(env, inv.inputsJson, cases, paramCases, wget),
  };
}

const bootstraps = new Map<string, string>();

/** The script of the step's root shell; kept short, since the shell parses it for every step. */
function bootstrap(cases: readonly string[], paramCases: readonly string[], wget: boolean): string {
  const key = `${wget ? "w" : ""}${cases.join("\n")}\0${paramCases.join("\n")}`;
  let script = bootstraps.get(key);
  if (script === undefined) {
    script = [
      "__sandflow_inputs=$1; shift",
      parseInputFunction(cases),
      paramFunction(paramCases),
      ...(wget ? [WGET_FUNCTION] : []),
      "cd /workspace || exit 1",
      ...RUN_STEP,
    ].join("\n");
    if (bootstraps.size >= 64) bootstraps.clear();
    bootstraps.set(key, script);
  }
  return script;
}

export type StepResult = { ok: true; outputJson: string } | { ok: false; error: StepFailure };

function tail(text: string, maxLines = 20, maxChars = 2000): string {
  const lines = text.trimEnd().split("\n").slice(-maxLines).join("\n");
  return lines.length > maxChars ? `...${lines.slice(-maxChars)}` : lines;
}

/** Characters a JSON text can start with (after JSON whitespace). */
const JSON_START = /^[ \t\n\r]*[[{"\-0-9tfn]/;

function parsesAsJson(text: string): unknown {
  if (!JSON_START.test(text)) return undefined; // JSON.parse would throw, and a throw is slow
  try {
    return { value: JSON.parse(text) };
  } catch {
    return undefined;
  }
}

/** Turns what the step left into its result (see runtimes/shell/README.md, "Step contract"). */
export function stepResult(
  stdout: string,
  stderr: string,
  exitCode: number,
  outputFile?: Uint8Array,
): StepResult {
  if (exitCode !== 0) {
    const why = stderr.trim() ? tail(stderr) : "(nothing on stderr)";
    return {
      ok: false,
      error: { name: "StepRuntimeError", message: `shell step exited with status ${exitCode}: ${why}` },
    };
  }
  if (outputFile !== undefined) {
    let text: string;
    try {
      text = new TextDecoder("utf-8", { fatal: true }).decode(outputFile);
      return { ok: true, outputJson: JSON.stringify(JSON.parse(text)) };
    } catch (e) {
      const why = e instanceof SyntaxError ? e.message : "it is not UTF-8 text";
      return {
        ok: false,
        error: {
          name: "StepRuntimeError",
          message: `$SANDFLOW_OUTPUT (${OUTPUT_FILE}) does not hold valid JSON: ${why}`,
        },
      };
    }
  }
  const whole = stdout.trim() ? (parsesAsJson(stdout) as { value: unknown } | undefined) : undefined;
  if (whole) return { ok: true, outputJson: JSON.stringify(whole.value) };
  const lines = stdout.split("\n");
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = (lines[i] as string).trim();
    if (!line.startsWith("{") && !line.startsWith("[")) continue;
    const parsed = parsesAsJson(line) as { value: unknown } | undefined;
    if (parsed && typeof parsed.value === "object" && parsed.value !== null) {
      return { ok: true, outputJson: JSON.stringify(parsed.value) };
    }
  }
  return { ok: true, outputJson: JSON.stringify({ stdout, stderr, exit_code: exitCode }) };
}
