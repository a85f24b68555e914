/**
 * The validated, normalised workflow model every loader produces, and the step
 * definition the scheduler runs.
 */
import type { Language } from "./languages.js";
import type { Schedule } from "./schedule.js";
import type { TriggerRule } from "./trigger-rules.js";

/** What a waiting step waits for. */
export type WaitSpec =
  | { readonly kind: "sleep"; readonly ms?: number; readonly until?: number }
  | {
      readonly kind: "signal";
      readonly name: string;
      readonly timeoutMs?: number;
      /** An approval: data `{approved, by?, comment?}`; not approved fails the step. */
      readonly approval: boolean;
    };

/** One step after validation: aliases resolved, defaults applied. Times in seconds, memory in MB. */
export interface StepDefinition {
  readonly id: string;
  readonly language: Language;
  /** Source code; `undefined` until a `file` step's code is read by a loader. */
  readonly code: string | undefined;
  /** Path of the source relative to the workflow file, when the step names one. */
  readonly file: string | undefined;
  readonly dependsOn: readonly string[];
  readonly timeout: number | undefined;
  readonly retries: number;
  readonly retryDelay: number;
  readonly retryBackoff: number;
  readonly memory: number | undefined;
  readonly env: Readonly<Record<string, string>>;
  /** Names of the secrets the step gets as environment variables (masked in what it returns). */
  readonly secrets: readonly string[];
  readonly description: string | undefined;
  /** Hosts (`host[:port]`, normalised) the step may make HTTP(S) requests to; empty: no network. */
  readonly allowNet?: readonly string[];
  /** Seconds a cached success may be reused: `undefined` the step is not cached, `null` until the cache is cleared. */
  readonly cacheTtl?: number | null | undefined;
  /** wasm steps: the module as the workflow names it. */
  readonly module?: string;
  /** wasm steps: the export to call (none for a WASI command module). */
  readonly func?: string;
  /** WASI command steps: arguments after the program name. */
  readonly args?: readonly string[];
  /** wasm steps: the i32 passed to a `func` that takes one argument. */
  readonly input?: number;
  /** A CEL condition: false skips the step (ConditionFalseError). */
  readonly when?: string;
  /** A CEL list: the step runs once per item. */
  readonly forEach?: string;
  /** for_each steps: most items running at once. */
  readonly maxParallel?: number;
  /** Runs again (seeing `inputs.previous`) until `until` holds, at most `max` times. */
  readonly repeat?: { readonly until: string; readonly max: number };
  /** Saga compensation: run when the run fails and this step had succeeded. */
  readonly compensate?: { readonly language: Language; readonly code: string };
  /** Higher first when steps compete for the run's concurrency or the engine's workers (default 0). */
  readonly priority?: number;
  /** The engine rate limit its attempts' starts count against (engine option rateLimits). */
  readonly rateLimitKey?: string;
  /** A step that waits (sleep, a signal, an approval) instead of running code. */
  readonly wait?: WaitSpec;
  /** When the step runs given how its dependencies ended; absent: `all_success`. */
  readonly triggerRule?: TriggerRule;
  /** A step that runs another workflow as a run of its own (the `workflow` field). */
  readonly subworkflow?: SubworkflowCall;
}

/** What a sub-workflow step runs: the child workflow and the params it gives it. */
export interface SubworkflowCall {
  /** The path as the step names it (relative to the folder of the workflow it is in). */
  readonly path: string;
  /** The child's key in {@link WorkflowDefinition.subworkflows}: its path from the top workflow's folder. */
  readonly key: string;
  /** The child's params by name, as CEL expressions evaluated in the parent. */
  readonly params: Readonly<Record<string, string>>;
}

/** A run param a workflow declares. */
export interface ParamDefinition {
  readonly type: "string" | "number" | "integer" | "boolean" | "object" | "array";
  /** The value when the run gives none; `undefined`: the run must give one. */
  readonly default?: unknown;
  readonly description?: string | undefined;
}

/** A workflow ready to run: its steps in a topological order (ties broken by id). */
export interface WorkflowDefinition {
  readonly name: string;
  readonly description: string | undefined;
  readonly concurrency: number | undefined;
  /** Higher first when the steps of several runs compete for the engine's workers (default 0). */
  readonly priority?: number;
  /** Runs with this key: at most {@link WorkflowDefinition.maxRuns} at once, across the engines of a shared store. */
  readonly concurrencyKey?: string;
  /** Most runs with {@link WorkflowDefinition.concurrencyKey} at once (1 when a key is given). */
  readonly maxRuns?: number;
  readonly steps: readonly StepDefinition[];
  /** Names of the events that start a run of it on a server (the `on` field); absent when none. */
  readonly events?: readonly string[];
  /** When a server starts a run of it (the `schedule` and `timezone` fields); absent when none. */
  readonly schedule?: Schedule;
  /** Run params by name (absent in workflows recorded before params existed). */
  readonly params?: Readonly<Record<string, ParamDefinition>>;
  /** Where it came from (a file path or a label), for messages. */
  readonly source: string | undefined;
  /**
   * The workflows its sub-workflow steps (and theirs) run, keyed by path from the top
   * workflow's folder: held by the top workflow only, and recorded with the run, so a
   * resumed run runs the children it started with.
   */
  readonly subworkflows?: Readonly<Record<string, WorkflowDefinition>>;
}

/** The steps of a workflow keyed by id. */
export function stepsById(workflow: WorkflowDefinition): Map<string, StepDefinition> {
  return new Map(workflow.steps.map((s) => [s.id, s]));
}

/** The languages a workflow uses (Pyodide is loaded only when Python is among them). */
export function languagesOf(workflow: WorkflowDefinition): Set<Language> {
  const languages = new Set<Language>();
  for (const w of [workflow, ...Object.values(workflow.subworkflows ?? {})])
    for (const s of w.steps) {
      if (!s.wait && !s.subworkflow) languages.add(s.language);
      if (s.compensate) languages.add(s.compensate.language);
    }
  return languages;
}
