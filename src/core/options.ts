/**
 * Engine and run options: public `*Options` with every field optional and a documented
 * default, resolved once into a complete form; bad values fail with `options.x must be ...`.
 */

import type { RunEvent } from "./events.js";
import { checkNetHosts } from "./net-ceiling.js";
import type { CancelSignal } from "./platform.js";
import { checkRateLimits, type Rate } from "./run-limits.js";

/** Limits and defaults every step gets unless its workflow or the step sets its own. */
export interface EngineOptions {
  /** Workers in the pool. Default: the number of cores. */
  readonly threads?: number;
  /** Most steps dispatched at once per run. Default: `threads`. */
  readonly concurrency?: number;
  /** Seconds a step may run when it sets no `timeout`. Default: 300. */
  readonly timeout?: number;
  /** Megabytes of memory a step may use when it sets no `memory`. Default: 512. */
  readonly memory?: number;
  /**
   * Most seconds any step may run, whatever its workflow file asks (workflow files are
   * untrusted: a larger `timeout` there is cut to this). Default: `timeout`.
   */
  readonly maxTimeout?: number;
  /** Most megabytes any step may use, whatever its workflow file asks. Default: `memory`. */
  readonly maxMemory?: number;
  /** Bytes of stdout and of stderr kept per step; more fails the step (OutputLimitError). Default: 1 MiB. */
  readonly outputLimit?: number;
  /** Bytes of a step's JSON result; more fails the step (ResultLimitError). Default: 16 MiB. */
  readonly resultLimit?: number;
  /** Processes a shell step may have alive at once (ProcessLimitError). Default: 64. */
  readonly processLimit?: number;
  /** Bytes under /tmp and /workspace a run may hold (WorkspaceLimitError). Default: 64 MiB. */
  readonly workspaceLimit?: number;
  /** Bytes of one response body a step's network request may receive (NetworkLimitError). Default: 10 MiB. */
  readonly netResponseLimit?: number;
  /** Seconds one network request of a step may take, redirects included (NetworkLimitError). Default: 30. */
  readonly netTimeout?: number;
  /**
   * The hosts (`host[:port]`) any step's `allow.net` may name; a step granted another fails
   * without running. An engine that runs other people's workflows (a server) should list
   * them. Default: `"any"` (workflow files' grants are taken as written).
   */
  readonly netHosts?: "any" | readonly string[];
  /**
   * Rate limits by key, `"<n>/<s|m|h>"` (such as `"10/s"`): at most n attempts of the steps
   * whose `rate_limit_key` is that key start per second, minute or hour across the engine's
   * runs; the others wait (holding no worker). A key no limit names is not limited.
   * Default: none.
   */
  readonly rateLimits?: Readonly<Record<string, string>>;
  /** The same as {@link EngineOptions.rateLimits} (the workflow format's spelling). */
  readonly rate_limits?: Readonly<Record<string, string>>;
  /**
   * Secret values by name: a step that names one in `secrets` gets it as an environment
   * variable, and it is masked as `***` in everything steps send back. Workflow files
   * read nothing else of the host. Default: none.
   */
  readonly secrets?: Readonly<Record<string, string>>;
  /** Most items a `for_each` step may run; a longer list fails the step (ForEachLimitError). Default: 10,000. */
  readonly maxForEachItems?: number;
  /**
   * Most child runs the sub-workflow steps of one run and its descendants may start (as
   * long as this process runs it); past it a step fails (SubworkflowLimitError). Bounds a
   * for_each of sub-workflows nested in each other. Default: 10,000.
   */
  readonly maxSubworkflowRuns?: number;
}

/** {@link EngineOptions} with every default applied. */
export interface ResolvedEngineOptions {
  readonly threads: number;
  readonly concurrency: number;
  readonly timeout: number;
  readonly memory: number;
  readonly maxTimeout: number;
  readonly maxMemory: number;
  readonly outputLimit: number;
  readonly resultLimit: number;
  readonly processLimit: number;
  readonly workspaceLimit: number;
  readonly netResponseLimit: number;
  readonly netTimeout: number;
  readonly netHosts: "any" | readonly string[];
  readonly secrets: Readonly<Record<string, string>>;
  readonly maxForEachItems: number;
  readonly maxSubworkflowRuns: number;
  readonly rateLimits: ReadonlyMap<string, Rate>;
}

/** Options of one run. */
export interface RunOptions {
  /** Aborting cancels the run: running steps are stopped, the rest not started. */
  readonly signal?: CancelSignal;
  /** Called for every event of the run. */
  readonly onEvent?: (event: RunEvent) => void;
  /** Most steps at once. Default: the workflow's `concurrency`, else the engine's. */
  readonly concurrency?: number;
  /** Stop starting new steps after the first failure. Default: false. */
  readonly failFast?: boolean;
  /** Seconds a step may run when neither it nor its workflow sets a `timeout`. Default: the engine's. */
  readonly timeout?: number;
  /** The run's id. Default: a new random id. */
  readonly runId?: string;
  /**
   * Values of the workflow's `params` by name; params not given take their defaults.
   * Unknown, missing or mistyped params throw InvalidParamsError before the run starts.
   * Default: none.
   */
  readonly params?: Readonly<Record<string, unknown>>;
}

function positive(name: string, value: unknown, integer: boolean): void {
  const okNumber = typeof value === "number" && Number.isFinite(value) && value > 0;
  if (!okNumber || (integer && !Number.isInteger(value))) {
    throw new TypeError(
      `options.${name} must be a positive ${integer ? "integer" : "number"}, got ${JSON.stringify(value)}`,
    );
  }
}

const INTEGER_FIELDS = [
  "maxForEachItems",
  "maxSubworkflowRuns",
  "threads",
  "concurrency",
  "outputLimit",
  "resultLimit",
  "processLimit",
  "workspaceLimit",
  "netResponseLimit",
];

/**
 * Applies defaults and checks every field.
 * @param cores the platform's core count, the default for `threads`.
 * @throws TypeError naming the bad field.
 */
export function resolveEngineOptions(options: EngineOptions, cores: number): ResolvedEngineOptions {
  for (const [key, value] of Object.entries(options)) {
    if (value === undefined) continue;
    if (
      ![
        "threads",
        "concurrency",
        "timeout",
        "memory",
        "maxTimeout",
        "maxMemory",
        "netTimeout",
        ...INTEGER_FIELDS,
      ].includes(key)
    )
      continue;
    positive(key, value, INTEGER_FIELDS.includes(key));
  }
  const threads = options.threads ?? Math.max(1, cores);
  const timeout = options.timeout ?? 300;
  const memory = options.memory ?? 512;
  const maxTimeout = options.maxTimeout ?? timeout;
  const maxMemory = options.maxMemory ?? memory;
  if (maxTimeout < timeout)
    throw new TypeError(
      `options.maxTimeout must be at least options.timeout (${timeout}), got ${maxTimeout}`,
    );
  if (maxMemory < memory)
    throw new TypeError(`options.maxMemory must be at least options.memory (${memory}), got ${maxMemory}`);
  return {
    threads,
    concurrency: options.concurrency ?? threads,
    timeout,
    memory,
    maxTimeout,
    maxMemory,
    outputLimit: options.outputLimit ?? 1024 * 1024,
    resultLimit: options.resultLimit ?? 16 * 1024 * 1024,
    processLimit: options.processLimit ?? 64,
    workspaceLimit: options.workspaceLimit ?? 64 * 1024 * 1024,
    netResponseLimit: options.netResponseLimit ?? 10 * 1024 * 1024,
    netTimeout: options.netTimeout ?? 30,
    netHosts: checkNetHosts(options.netHosts),
    secrets: checkSecrets(options.secrets),
    maxForEachItems: options.maxForEachItems ?? 10_000,
    maxSubworkflowRuns: options.maxSubworkflowRuns ?? 10_000,
    rateLimits: checkRateLimits(options.rateLimits ?? options.rate_limits),
  };
}

function checkSecrets(secrets: EngineOptions["secrets"]): Readonly<Record<string, string>> {
  const out = Object.create(null) as Record<string, string>;
  if (secrets === undefined) return out;
  if (typeof secrets !== "object" || secrets === null)
    throw new TypeError("options.secrets must be an object of secret names to string values");
  for (const [name, value] of Object.entries(secrets)) {
    if (typeof value !== "string" || value.length === 0)
      throw new TypeError(`options.secrets.${name} must be a non-empty string`);
    out[name] = value;
  }
  return out;
}

/** Checks the fields of {@link RunOptions} that carry numbers. */
export function checkRunOptions(options: RunOptions): void {
  if (options.concurrency !== undefined) positive("concurrency", options.concurrency, true);
  if (options.timeout !== undefined) positive("timeout", options.timeout, false);
  const params = options.params;
  if (params !== undefined && (typeof params !== "object" || params === null || Array.isArray(params)))
    throw new TypeError("options.params must be an object of param names to values");
}
