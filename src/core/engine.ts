/**
 * The engine: runs validated workflows on a {@link StepPool} it is given. Platform entry
 * points (`sandflow` for Node, `sandflow/browser`) build the pool and hand it in.
 */
import { CancelSource } from "./cancel.js";
import { Channel } from "./channel.js";
import type { RunEvent } from "./events.js";
import {
  type LuaWorkflowEvaluator,
  type ParseSourceOptions,
  parseWorkflowSource,
} from "./loaders/parse-source.js";
import { checkRunOptions, type ResolvedEngineOptions, type RunOptions } from "./options.js";
import type { Clock, IdFactory } from "./platform.js";
import type { RunReport } from "./report.js";
import { RunExecution } from "./run-execution.js";
import { withSecrets } from "./secrets.js";
import type { StepPool } from "./step-pool.js";
import { languagesOf, type WorkflowDefinition } from "./workflow.js";

/** What a platform gives the engine. */
export interface EngineHost {
  readonly pool: StepPool;
  readonly clock: Clock;
  readonly newId: IdFactory;
  /** Evaluates Lua workflow files; needed by {@link Engine.parse} for Lua text. */
  readonly luaEvaluator?: LuaWorkflowEvaluator;
  /** Frees what the platform holds besides the pool. */
  readonly dispose?: () => Promise<void>;
  /** Runs before each run starts (e.g. to make a cached interpreter snapshot). */
  readonly beforeRun?: (workflow: WorkflowDefinition) => Promise<void>;
}

/** A run in progress: its events as an async iterator, its report as a promise. */
export class RunHandle implements AsyncIterable<RunEvent> {
  /** The run's id. */
  readonly runId: string;
  /** Resolves with the report when the run ends (also when it fails or is cancelled). */
  readonly report: Promise<RunReport>;
  readonly #subscribers = new Set<Channel<RunEvent>>();
  readonly #cancel: CancelSource;
  #ended = false;

  /** @internal Built by {@link Engine.start}. */
  constructor(
    runId: string,
    cancel: CancelSource,
    body: (emit: (e: RunEvent) => void, listening: () => boolean) => Promise<RunReport>,
  ) {
    this.runId = runId;
    this.#cancel = cancel;
    // Starting on a later microtask lets callers subscribe before the first event.
    this.report = Promise.resolve().then(() =>
      body(
        (event) => {
          for (const sub of this.#subscribers) sub.push(event);
          if (event.type === "run-finished") this.#end();
        },
        () => this.#subscribers.size > 0,
      ).finally(() => this.#end()),
    );
  }

  #end(): void {
    this.#ended = true;
    for (const sub of this.#subscribers) sub.close();
    this.#subscribers.clear();
  }

  /** Stops the run: running steps are interrupted, the rest are not started. */
  cancel(): void {
    this.#cancel.cancel();
  }

  /** Events from now until `run-finished` (subscribe right after `start` to see them all). */
  [Symbol.asyncIterator](): AsyncIterator<RunEvent> {
    const channel = new Channel<RunEvent>();
    if (this.#ended) channel.close();
    else this.#subscribers.add(channel);
    return channel[Symbol.asyncIterator]();
  }
}

/** Runs workflows. Create it with `createEngine()` from `sandflow` or `sandflow/browser`. */
export class Engine {
  readonly #host: EngineHost;
  readonly #options: ResolvedEngineOptions;
  #closed = false;

  /** @internal Use `createEngine()`. */
  constructor(host: EngineHost, options: ResolvedEngineOptions) {
    this.#host = host;
    this.#options = options;
  }

  /** The engine's options with defaults applied. */
  get options(): ResolvedEngineOptions {
    return this.#options;
  }

  /**
   * Parses and validates workflow text (Lua, YAML or JSON; detected unless given).
   * @throws WorkflowLoadError or WorkflowValidationError naming the problem.
   */
  async parse(
    text: string,
    options: Omit<ParseSourceOptions, "luaEvaluator"> = {},
  ): Promise<WorkflowDefinition> {
    const result = await parseWorkflowSource(text, {
      ...options,
      ...(this.#host.luaEvaluator ? { luaEvaluator: this.#host.luaEvaluator } : {}),
    });
    if (!result.ok) throw result.error;
    return result.value;
  }

  /** Loads the interpreters a workflow needs in every worker, ahead of running it. */
  async prepare(workflow: WorkflowDefinition): Promise<void> {
    this.#assertOpen();
    await this.#host.beforeRun?.(workflow);
    await this.#host.pool.prepare(languagesOf(workflow));
  }

  /** Starts a run and returns at once; see {@link RunHandle}. */
  start(workflow: WorkflowDefinition, options: RunOptions = {}): RunHandle {
    this.#assertOpen();
    checkRunOptions(options);
    const runId = options.runId ?? this.#host.newId();
    const cancel = new CancelSource();
    const outer = options.signal;
    return new RunHandle(runId, cancel, async (emit, subscribed) => {
      const onAbort = () => cancel.cancel();
      if (outer?.aborted) cancel.cancel();
      else outer?.addEventListener("abort", onAbort, { once: true });
      await this.#host.beforeRun?.(workflow);
      const onEvent = options.onEvent;
      const execution = new RunExecution(
        workflow,
        runId,
        withSecrets(this.#host.pool, workflow, this.#options.secrets),
        this.#host.clock,
        this.#options,
        { ...options, signal: cancel.signal },
        (event) => {
          emit(event);
          onEvent?.(event);
        },
        () => onEvent !== undefined || subscribed(),
      );
      try {
        return await execution.execute();
      } finally {
        outer?.removeEventListener("abort", onAbort);
      }
    });
  }

  /** Runs a workflow to the end and returns its report. */
  run(workflow: WorkflowDefinition, options: RunOptions = {}): Promise<RunReport> {
    return this.start(workflow, options).report;
  }

  /** Stops the pool's workers. The engine cannot run after this. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#host.pool.close();
    await this.#host.dispose?.();
  }

  #assertOpen(): void {
    if (this.#closed) throw new Error("the engine is closed; create a new one with createEngine()");
  }
}
