/**
 * The TypeScript ways to define a workflow: {@link defineWorkflow} for an object in the
 * file format, and {@link workflow} for a fluent builder. Both validate like the loaders.
 */
import type { ParamSpec, StepDefaults, StepSpec, WorkflowSpec } from "./schema.js";
import { parseWorkflowOrThrow } from "./validate.js";
import type { WorkflowDefinition } from "./workflow.js";

/**
 * Validates a workflow written as a TypeScript object with the fields of the file format.
 * @throws WorkflowValidationError naming every problem.
 */
export function defineWorkflow(spec: WorkflowSpec): WorkflowDefinition {
  return parseWorkflowOrThrow(spec, { source: spec.name ?? "defineWorkflow" });
}

/** Step settings for the builder's language shortcuts (everything but `language`, `code` and `module`). */
export type BuilderStepOptions = Omit<StepSpec, "language" | "code" | "file" | "module">;

/** Options of the builder's waiting steps: where they sit in the graph and when they run. */
export type WaitStepOptions = Pick<
  StepSpec,
  "depends_on" | "when" | "trigger_rule" | "description" | "timeout"
>;

/** Options of the builder's sub-workflow steps: the child's params (CEL), where the step sits, how it repeats. */
export type SubworkflowStepOptions = Pick<
  StepSpec,
  | "params"
  | "depends_on"
  | "when"
  | "trigger_rule"
  | "description"
  | "for_each"
  | "max_parallel"
  | "retries"
  | "retry_delay"
  | "retry_backoff"
  | "priority"
>;

/** A fluent workflow builder; {@link WorkflowBuilder.build} validates. */
export class WorkflowBuilder {
  readonly #spec: {
    name: string;
    description?: string;
    defaults?: StepDefaults;
    concurrency?: number;
    on?: { event: string }[];
    concurrency_key?: string;
    priority?: number;
    max_runs?: number;
    schedule?: string;
    timezone?: string;
    params?: Record<string, ParamSpec>;
    workflows?: Record<string, WorkflowSpec>;
  };
  readonly #steps: Record<string, StepSpec> = Object.create(null);

  constructor(name: string) {
    this.#spec = { name };
  }

  /** Sets the description. */
  description(text: string): this {
    this.#spec.description = text;
    return this;
  }

  /** Sets defaults for every step. */
  defaults(defaults: StepDefaults): this {
    this.#spec.defaults = defaults;
    return this;
  }

  /** Sets the most steps running at once. */
  concurrency(n: number): this {
    this.#spec.concurrency = n;
    return this;
  }

  /** The run's priority: its steps go first when several runs compete for the workers. */
  priority(n: number): this {
    this.#spec.priority = n;
    return this;
  }

  /** At most `maxRuns` runs with `key` at once (on every engine of a shared store); the others queue (`concurrency_key`, `max_runs`). */
  concurrencyKey(key: string, maxRuns = 1): this {
    this.#spec.concurrency_key = key;
    this.#spec.max_runs = maxRuns;
    return this;
  }

  /** Starts a run of the workflow when a server that registered it gets this event (the `on` field). */
  on(event: string): this {
    this.#spec.on = [...(this.#spec.on ?? []), { event }];
    return this;
  }

  /** Starts a run at each fire time of a cron expression, in a time zone (default UTC), on a server that registered it. */
  schedule(cron: string, timezone?: string): this {
    this.#spec.schedule = cron;
    if (timezone !== undefined) this.#spec.timezone = timezone;
    return this;
  }

  /**
   * Declares a run param (`{ type, default?, description? }`); steps see its value as
   * `sandflow.params.<name>` (`param <name>` in shell).
   * @throws Error when the param was already declared.
   */
  param(name: string, spec: ParamSpec): this {
    this.#spec.params ??= Object.create(null) as Record<string, ParamSpec>;
    if (Object.hasOwn(this.#spec.params, name))
      throw new Error(`workflow builder: param '${name}' was declared twice; param names must be unique`);
    this.#spec.params[name] = spec;
    return this;
  }

  /**
   * Adds a step in the file format's fields.
   * @throws Error when the id was already added.
   */
  step(id: string, spec: StepSpec): this {
    if (Object.hasOwn(this.#steps, id))
      throw new Error(`workflow builder: step '${id}' was added twice; step ids must be unique`);
    this.#steps[id] = spec;
    return this;
  }

  /** Adds a Python step (`def run(inputs): ...`). */
  python(id: string, code: string, options: BuilderStepOptions = {}): this {
    return this.step(id, { ...options, language: "python", code });
  }

  /** Adds a Lua step (`function run(inputs) ... end`). */
  lua(id: string, code: string, options: BuilderStepOptions = {}): this {
    return this.step(id, { ...options, language: "lua", code });
  }

  /** Adds a shell step. */
  shell(id: string, code: string, options: BuilderStepOptions = {}): this {
    return this.step(id, { ...options, language: "shell", code });
  }

  /**
   * Adds a WebAssembly step: `module` is a path relative to the workflow file (read by
   * `loadWorkflowFile`) or a `data:application/wasm;base64,` URL; give `func` to call an
   * export, or none to run a WASI command.
   */
  wasm(id: string, module: string, options: BuilderStepOptions = {}): this {
    return this.step(id, { ...options, language: "wasm", module });
  }

  /** Adds a JavaScript step (`function run(inputs) { ... }`, or a script whose last console.log line is JSON). */
  js(id: string, code: string, options: BuilderStepOptions = {}): this {
    return this.step(id, { ...options, language: "javascript", code });
  }

  /** Adds a step that runs no code and waits `duration` ("30s", "5m") or until `{ until: <RFC 3339 time> }`. */
  sleep(id: string, duration: string | { until: string }, options: WaitStepOptions = {}): this {
    return this.step(id, { ...options, sleep: duration });
  }

  /** Adds a step that waits for the signal `signal`; its output is the signal's data. */
  waitFor(id: string, signal: string, options: WaitStepOptions & { timeout?: string } = {}): this {
    const { timeout, ...rest } = options;
    return this.step(id, { ...rest, wait_for: { signal, ...(timeout !== undefined ? { timeout } : {}) } });
  }

  /** Adds a step that waits for an approval (the signal `approval`, data `{approved, by?, comment?}`). */
  approval(id: string, options: WaitStepOptions & { timeout?: string } = {}): this {
    const { timeout, ...rest } = options;
    return this.step(id, { ...rest, approval: timeout !== undefined ? { timeout } : true });
  }

  /**
   * Adds a step that runs the workflow at `path` as a run of its own: one given with
   * {@link WorkflowBuilder.workflow}, or a file (read when the workflow is loaded from a
   * file). Its output is an object of the child's leaf outputs keyed by step id.
   */
  subworkflow(id: string, path: string, options: SubworkflowStepOptions = {}): this {
    return this.step(id, { ...options, workflow: path });
  }

  /** Holds `spec` as the sub-workflow a step names by `path` (the `workflows` field). */
  workflow(path: string, spec: WorkflowSpec | WorkflowBuilder): this {
    const child = spec instanceof WorkflowBuilder ? spec.spec() : spec;
    this.#spec.workflows = Object.assign(Object.create(null), this.#spec.workflows, { [path]: child });
    return this;
  }

  /** The workflow as written, not validated (what {@link WorkflowBuilder.build} validates). */
  spec(): WorkflowSpec {
    return { ...this.#spec, steps: { ...this.#steps } };
  }

  /**
   * Validates and returns the workflow.
   * @throws WorkflowValidationError naming every problem.
   */
  build(): WorkflowDefinition {
    return defineWorkflow(this.spec());
  }
}

/** Starts a fluent workflow definition: `workflow("etl").python("fetch", code).lua(...).build()`. */
export function workflow(name: string): WorkflowBuilder {
  return new WorkflowBuilder(name);
}
