/**
 * The validated, normalised workflow model every loader produces, and the step
 * definition the scheduler runs.
 */
import type { Language } from "./languages.js";
import type { Schedule } from "./schedule.js";

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
}

/** A workflow ready to run: its steps in a topological order (ties broken by id). */
export interface WorkflowDefinition {
  readonly name: string;
  readonly description: string | undefined;
  readonly concurrency: number | undefined;
  readonly steps: readonly StepDefinition[];
  /** Names of the events that start a run of it on a server (the `on` field); absent when none. */
  readonly events?: readonly string[];
  /** When a server starts a run of it (the `schedule` and `timezone` fields); absent when none. */
  readonly schedule?: Schedule;
  /** Where it came from (a file path or a label), for messages. */
  readonly source: string | undefined;
}

/** The steps of a workflow keyed by id. */
export function stepsById(workflow: WorkflowDefinition): Map<string, StepDefinition> {
  return new Map(workflow.steps.map((s) => [s.id, s]));
}

/** The languages a workflow uses (Pyodide is loaded only when Python is among them). */
export function languagesOf(workflow: WorkflowDefinition): Set<Language> {
  return new Set(workflow.steps.map((s) => s.language));
}
