/**
 * Secrets: values the engine's owner gives the engine (`secrets` option, the CLI's
 * `--secret NAME`), handed to the steps that name them in `secrets: [NAME]` like env, and
 * masked as `***` in everything those steps send back: live logs, stdout and stderr,
 * outputs (every string and key of the JSON value) and errors, so reports and events never
 * hold them. A workflow file reads only secrets the engine was given and it names.
 */
import type { StepPool, StepRunOptions, StepTask, StepTaskResult } from "./step-pool.js";
import { failedAttempt, withRun } from "./step-pool.js";
import type { WorkflowDefinition } from "./workflow.js";

/** What a secret's value is replaced with. */
export const SECRET_MASK = "***";

/** Replaces every occurrence of the values (longest first) in text. */
export class SecretMask {
  readonly #values: string[];
  /** Longest value: a streamed chunk holds back one character less than this. */
  readonly longest: number;

  constructor(values: Iterable<string>) {
    this.#values = [...new Set(values)].filter((v) => v.length > 0).sort((a, b) => b.length - a.length);
    this.longest = this.#values[0]?.length ?? 0;
  }

  /** `text` with every value masked. */
  text(text: string): string {
    let out = text;
    for (const v of this.#values) if (out.includes(v)) out = out.split(v).join(SECRET_MASK);
    return out;
  }

  /** A JSON text with every string (and key) in it masked; the text itself if nothing is to mask. */
  json(json: string): string {
    if (!this.#values.some((v) => json.includes(v) || json.includes(JSON.stringify(v).slice(1, -1))))
      return json;
    const walk = (value: unknown): unknown => {
      if (typeof value === "string") return this.text(value);
      if (Array.isArray(value)) return value.map(walk);
      if (value !== null && typeof value === "object") {
        const out = Object.create(null) as Record<string, unknown>;
        for (const [k, v] of Object.entries(value)) out[this.text(k)] = walk(v);
        return out;
      }
      return value;
    };
    return JSON.stringify(walk(JSON.parse(json)));
  }

  /**
   * A live-output sink that masks values split across chunks: each stream holds back the
   * last `longest - 1` characters until more arrives or {@link flush} is called.
   */
  stream(onLog: NonNullable<StepRunOptions["onLog"]>): {
    onLog: NonNullable<StepRunOptions["onLog"]>;
    flush: () => void;
  } {
    const held = { stdout: "", stderr: "" };
    const keep = Math.max(0, this.longest - 1);
    return {
      onLog: (stream, text) => {
        const masked = this.text(held[stream] + text);
        const cut = Math.max(0, masked.length - keep);
        held[stream] = masked.slice(cut);
        if (cut > 0) onLog(stream, masked.slice(0, cut));
      },
      flush: () => {
        for (const stream of ["stdout", "stderr"] as const) {
          if (held[stream]) onLog(stream, this.text(held[stream]));
          held[stream] = "";
        }
      },
    };
  }

  /** A result with its output, error and printed text masked. */
  result(r: StepTaskResult): StepTaskResult {
    const outcome = r.outcome.ok
      ? { ok: true as const, outputJson: this.json(r.outcome.outputJson) }
      : {
          ok: false as const,
          error: {
            ...r.outcome.error,
            message: this.text(r.outcome.error.message),
            ...(r.outcome.error.stack ? { stack: this.text(r.outcome.error.stack) } : {}),
          },
        };
    return { ...r, outcome, stdout: this.text(r.stdout), stderr: this.text(r.stderr) };
  }
}

/**
 * The pool a run uses when its workflow names secrets: each task of a step that names
 * some gets their values in its env, and its result and live output come back masked.
 * A step naming a secret the engine was not given fails without running.
 */
export function withSecrets(
  pool: StepPool,
  workflow: WorkflowDefinition,
  secrets: Readonly<Record<string, string>>,
): StepPool {
  const named = new Map(workflow.steps.filter((s) => s.secrets.length > 0).map((s) => [s.id, s.secrets]));
  if (named.size === 0) return pool;
  // Every value any step of this run may hold is masked in every step's results.
  const mask = new SecretMask(
    [...new Set([...named.values()].flat())].flatMap((n) =>
      Object.hasOwn(secrets, n) ? [secrets[n] as string] : [],
    ),
  );
  const run = async (task: StepTask, options: StepRunOptions = {}): Promise<StepTaskResult> => {
    const names = named.get(task.stepId) ?? [];
    const missing = names.filter((n) => !Object.hasOwn(secrets, n));
    if (missing.length > 0) {
      return failedAttempt(
        "StepRuntimeError",
        `step '${task.stepId}' names secret${missing.length > 1 ? "s" : ""} ${missing.map((n) => `'${n}'`).join(", ")} the engine was not given (engine option secrets, or sandflow run --secret NAME)`,
        Date.now(),
      );
    }
    const env = Object.assign(Object.create(null) as Record<string, string>, task.env);
    for (const n of names) env[n] = secrets[n] as string;
    const live = options.onLog ? mask.stream(options.onLog) : undefined;
    const result = await pool.run(
      { ...task, env },
      // Every option passes on (onStart too); only the live output is masked on its way.
      { ...options, ...(live ? { onLog: live.onLog } : {}) },
    );
    live?.flush();
    return mask.result(result);
  };
  return withRun(pool, run);
}
