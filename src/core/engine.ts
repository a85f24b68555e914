/**
 * The engine: runs validated workflows on a {@link StepPool} it is given. Platform entry
 * points (`sandflow` for Node, `sandflow/browser`) build the pool and hand it in.
 */
import { CancelSource } from "./cancel.js";
import type { JournalEntry, RunSummary } from "./durable/journal.js";
import { LeaseKeeper } from "./durable/lease-keeper.js";
import { RunJournal } from "./durable/run-journal.js";
import { foldSteps, type RecordedStep } from "./durable/run-state.js";
import { type SignalSent, sendSignal } from "./durable/signals.js";
import { StepCache } from "./durable/step-cache.js";
import { RunStateError, type Store, type StoredRun } from "./durable/store.js";
import {
  listRunsWithStatus,
  loadRun,
  planRerun,
  type RunListStatus,
  storedReport,
} from "./durable/stored-run.js";
import { SubworkflowLimitError, WorkflowValidationError } from "./errors.js";
import type { RunEvent } from "./events.js";
import {
  type LuaWorkflowEvaluator,
  type ParseSourceOptions,
  parseWorkflowSource,
} from "./loaders/parse-source.js";
import { withNetCeiling } from "./net-ceiling.js";
import { checkRunOptions, type ResolvedEngineOptions, type RunOptions } from "./options.js";
import { resolveParams } from "./params.js";
import type { Clock, IdFactory } from "./platform.js";
import { PriorityGate, usesPriority, withPriority } from "./priority-gate.js";
import type { RunReport } from "./report.js";
import { RunExecution } from "./run-execution.js";
import { RunHandle } from "./run-handle.js";
import { admitAcrossProcesses, RateLimiter, RunAdmission, withRateLimits } from "./run-limits.js";
import { withSecrets } from "./secrets.js";
import { withSubworkflows } from "./subworkflow-steps.js";
import { subworkflowRefIssues } from "./subworkflows.js";
import { SignalWakers, withWaitSteps } from "./wait-steps.js";

export { RunHandle } from "./run-handle.js";

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
  /** Where runs are recorded; without one, runs live only in memory and cannot be resumed. */
  readonly store?: Store;
  /** Who this engine is in the store's leases (a process that can be told dead from alive). */
  readonly owner?: string;
  /** The version of the interpreter behind a language (part of step cache keys). */
  readonly runtimeVersion?: (language: string) => string;
}

/** Options of {@link Engine.rerun}. */
export interface RerunOptions extends RunOptions {
  /** Run this step and everything downstream of it again; default: the steps that did not succeed. */
  readonly from?: string;
}

/** Filters of {@link Engine.runs}. */
export interface RunsQuery {
  /** Only runs in this state (`running` lists the waiting and queued ones too). */
  readonly status?: RunListStatus;
  /** Most runs, newest first. Default: 20. */
  readonly limit?: number;
}

/** How a durable run starts: fresh, resumed from its journal, or a rerun keeping results. */
interface DurableStart {
  readonly prior?: ReadonlyMap<string, RecordedStep>;
  readonly startedAt?: number;
  readonly rerunOf?: string;
  /** Entries the new run's journal starts with (a rerun's kept results). */
  readonly seed?: readonly JournalEntry[];
  /** The run exists in the store and this engine holds its lease. */
  readonly resumed?: boolean;
  /** The params recorded with the run resumed or rerun (checked when it first ran). */
  readonly params?: Readonly<Record<string, unknown>>;
  /** The run whose sub-workflow step started this one. */
  readonly parentRun?: string;
  /** How many runs this one is nested in (0 for a run nobody started). */
  readonly depth?: number;
  /** The tree of runs this one belongs to (shared by all of them). */
  readonly tree?: RunTree;
  /** Concurrency keys this run's ancestors hold: with one of them, it runs in their place. */
  readonly held?: ReadonlySet<string>;
}

/** What the runs of one tree (a run and the sub-workflow runs under it) share. */
interface RunTree {
  /** Child runs started. */
  started: number;
}

/** How many runs a stored run is nested in, following `parentRun` (bounded: a chain past the limit is as deep as it gets). */
async function depthOf(store: Store, run: StoredRun): Promise<number> {
  let depth = 0;
  let parent = run.record.parentRun;
  while (parent !== undefined && depth < 16) {
    depth++;
    parent = (await store.getRun(parent))?.record.parentRun;
  }
  return depth;
}

/** Runs workflows. Create it with `createEngine()` from `sandflow` or `sandflow/browser`. */
export class Engine {
  readonly #host: EngineHost;
  readonly #options: ResolvedEngineOptions;
  readonly #leases: LeaseKeeper | undefined;
  readonly #cache: StepCache | undefined;
  readonly #wakers = new SignalWakers();
  readonly #admission = new RunAdmission();
  /** Running runs whose workflow can be neither waiting nor queued: listing them reads no journal. */
  readonly #plainRuns = new Set<string>();
  readonly #gate: PriorityGate;
  readonly #limiter: RateLimiter;
  #closed = false;

  /** @internal Use `createEngine()`. */
  constructor(host: EngineHost, options: ResolvedEngineOptions) {
    this.#host = host;
    this.#options = options;
    this.#limiter = new RateLimiter(options.rateLimits, host.clock);
    this.#gate = new PriorityGate(host.pool.threads * 2);
    if (host.store) {
      this.#leases = new LeaseKeeper(host.store, host.owner ?? `engine-${host.newId()}`, host.clock);
      this.#cache = new StepCache(host.store, host.runtimeVersion ?? (() => "unversioned"));
    }
  }

  /** The store runs are recorded in, if any. */
  get store(): Store | undefined {
    return this.#host.store;
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

  /**
   * Sends a signal to a run (by id or unique prefix) that has not finished: a `wait_for`
   * step waiting for `name` (or the next one to wait) takes it, in whichever process runs
   * it; a step of this engine waiting for it wakes at once. `id` makes a repeated send
   * idempotent (default: a new id).
   * @throws InvalidSignalError, RunNotFoundError or RunStateError (finished run), and
   * TypeError without a store.
   */
  async signal(
    run: string,
    name: string,
    data?: unknown,
    options: { id?: string } = {},
  ): Promise<SignalSent> {
    const store = this.#requireStore("signal");
    const sent = await sendSignal(
      store,
      run,
      name,
      data ?? null,
      options.id ?? this.#host.newId(),
      this.#host.clock.now(),
    );
    this.#wakers.wake(sent.runId);
    return sent;
  }

  /** Loads the interpreters a workflow needs in every worker, ahead of running it. */
  async prepare(workflow: WorkflowDefinition): Promise<void> {
    this.#assertOpen();
    await this.#host.beforeRun?.(workflow);
    await this.#host.pool.prepare(languagesOf(workflow));
  }

  /**
   * Starts a run and returns at once; see {@link RunHandle}. With a store, the run is recorded.
   * @throws InvalidParamsError when `options.params` do not fit the workflow's `params`.
   */
  start(workflow: WorkflowDefinition, options: RunOptions = {}): RunHandle {
    return this.#start(workflow, options, {});
  }

  /**
   * Continues an interrupted run (its process died): steps that succeeded keep their
   * results and files; a step that was running runs again as a new attempt.
   * @throws RunNotFoundError, or RunStateError when the run finished or is still held by a live process.
   */
  async resume(runId: string, options: Omit<RunOptions, "runId"> = {}): Promise<RunHandle> {
    const store = this.#requireStore("resume");
    const run = await loadRun(store, runId);
    const id = run.record.runId;
    if (run.status === "running")
      throw new RunStateError(`run ${id} is still running (held by ${run.owner ?? "another process"})`);
    if (run.status !== "interrupted")
      throw new RunStateError(`run ${id} already ${run.status}; use rerun to run it again`);
    if (!(await (this.#leases as LeaseKeeper).claim(id)))
      throw new RunStateError(`run ${id} was taken over by another process`);
    return this.#start(
      run.record.workflow,
      { ...options, runId: id },
      {
        prior: foldSteps(run.entries),
        startedAt: run.record.createdAt,
        rerunOf: run.record.rerunOf,
        resumed: true,
        params: run.record.params,
        ...(run.record.parentRun !== undefined
          ? { parentRun: run.record.parentRun, depth: await depthOf(store, run) }
          : {}),
      },
    );
  }

  /** The report of a stored child run, continued first when it was interrupted; `undefined` when not stored. */
  async #followChild(runId: string, signal: RunOptions["signal"]): Promise<RunReport | undefined> {
    const store = this.#host.store;
    const run = await store?.getRun(runId);
    if (!store || !run) return undefined;
    if (run.status === "interrupted") {
      try {
        return await (await this.resume(runId, signal ? { signal } : {})).report;
      } catch (e) {
        if (!(e instanceof RunStateError)) throw e;
      }
    }
    // Held by another live process (it took the child over): wait for it to end.
    let now = run;
    while (now.status === "running" || now.status === "interrupted") {
      if (signal?.aborted) throw new RunStateError(`cancelled while run ${runId} went on elsewhere`);
      await this.#host.clock.sleep(1000, signal);
      now = (await store.getRun(runId)) ?? now;
    }
    return storedReport(now, this.#host.clock.now());
  }

  /**
   * A new run of a stored run's workflow, linked to it (`rerunOf`): without `from`, the
   * steps that failed or were skipped run again with everything downstream of them; with
   * `from`, that step and everything downstream. The other steps keep their results.
   */
  async rerun(runId: string, options: RerunOptions = {}): Promise<RunHandle> {
    const store = this.#requireStore("rerun");
    const run = await loadRun(store, runId);
    const plan = planRerun(run, options.from, this.#host.clock.now());
    const { from: _from, ...rest } = options;
    return this.#start(run.record.workflow, rest, {
      prior: plan.prior,
      seed: plan.kept,
      rerunOf: run.record.runId,
      params: run.record.params,
    });
  }

  /** Recent runs in the store, newest first. */
  async runs(query: RunsQuery = {}): Promise<RunSummary[]> {
    const limit = query.limit ?? 20;
    if (!Number.isInteger(limit) || limit < 1)
      throw new TypeError(`query.limit must be a positive integer, got ${JSON.stringify(limit)}`);
    const store = this.#requireStore("runs");
    return listRunsWithStatus(
      store,
      { status: query.status, limit },
      this.#host.clock.now(),
      this.#plainRuns,
    );
  }

  /** The report of a stored run, by id or unique prefix (also of an unfinished one). */
  async report(runId: string): Promise<RunReport> {
    const run = await loadRun(this.#requireStore("report"), runId);
    return storedReport(run, this.#host.clock.now());
  }

  /** Empties the step cache; resolves with the number of results removed. */
  clearCache(): Promise<number> {
    return this.#requireStore("clearCache").clearCache();
  }

  /** The journal of a durable run (recording a new run first); none without a store. */
  async #openJournal(
    runId: string,
    workflow: WorkflowDefinition,
    durable: DurableStart,
    params: Readonly<Record<string, unknown>>,
  ): Promise<{ journal: RunJournal; startedAt: number } | undefined> {
    const store = this.#host.store;
    const leases = this.#leases;
    if (!store || !leases) return undefined;
    const now = this.#host.clock.now();
    if (durable.resumed) leases.hold(runId);
    if (!durable.resumed)
      await leases.create({
        runId,
        workflow,
        params,
        createdAt: now,
        ...(durable.rerunOf ? { rerunOf: durable.rerunOf } : {}),
        ...(durable.parentRun ? { parentRun: durable.parentRun } : {}),
      });
    const journal = new RunJournal(store, runId);
    if (durable.resumed) journal.add({ type: "run-resumed", time: now, owner: leases.owner });
    for (const entry of durable.seed ?? []) journal.add(entry);
    return { journal, startedAt: durable.startedAt ?? now };
  }

  /** The pool a run of `workflow` uses: the engine's, with the run's ceilings, waits, rate limits and secrets. */
  #runPool(workflow: WorkflowDefinition, depth: number, tree: RunTree, held: ReadonlySet<string>): StepPool {
    const gated = withPriority(this.#host.pool, workflow, this.#gate);
    const ceiled = withNetCeiling(gated, workflow, this.#options.netHosts);
    const waits = withWaitSteps(ceiled, workflow, {
      store: this.#host.store,
      clock: this.#host.clock,
      wakers: this.#wakers,
    });
    const children = withSubworkflows(waits, workflow, {
      store: this.#host.store,
      clock: this.#host.clock,
      depth,
      children: {
        start: (child, start) => {
          const max = this.#options.maxSubworkflowRuns;
          if (tree.started >= max)
            throw new SubworkflowLimitError(
              `this run and its sub-workflows started ${max} child runs; the limit is ${max} (engine option maxSubworkflowRuns)`,
            );
          tree.started++;
          return this.#start(
            child,
            { runId: start.runId, params: start.params, ...(start.signal ? { signal: start.signal } : {}) },
            { parentRun: start.parentRun, depth: depth + 1, tree, held },
          ).report;
        },
        follow: (runId, signal) => this.#followChild(runId, signal),
      },
    });
    return withSecrets(withRateLimits(children, workflow, this.#limiter), workflow, this.#options.secrets);
  }

  #requireStore(what: string): Store {
    const store = this.#host.store;
    if (!store) throw new TypeError(`engine.${what}() needs a store: create the engine with { store }`);
    return store;
  }

  #start(workflow: WorkflowDefinition, options: RunOptions, durable: DurableStart): RunHandle {
    this.#assertOpen();
    checkRunOptions(options);
    const unresolved = subworkflowRefIssues(workflow);
    if (unresolved.length > 0) throw new WorkflowValidationError(unresolved, workflow.source);
    let params = durable.params;
    if (params === undefined) {
      const resolved = resolveParams(workflow, options.params);
      if (!resolved.ok) throw resolved.error;
      params = resolved.value;
    }
    const runParams = params;
    const runId = options.runId ?? this.#host.newId();
    const cancel = new CancelSource();
    const outer = options.signal;
    let recorded: (error?: unknown) => void = () => undefined;
    const whenRecorded = new Promise<void>((resolve, reject) => {
      recorded = (error) => (error === undefined ? resolve() : reject(error));
    });
    whenRecorded.catch(() => undefined);
    return new RunHandle(runId, cancel, whenRecorded, async (emit, subscribed) => {
      const onAbort = () => cancel.cancel();
      if (outer?.aborted) cancel.cancel();
      else outer?.addEventListener("abort", onAbort, { once: true });
      // Recorded first: the run is in the store (listed, shown) from the moment it starts.
      let opened: { journal: RunJournal; startedAt: number } | undefined;
      try {
        opened = await this.#openJournal(runId, workflow, durable, runParams);
        recorded();
        await this.#host.beforeRun?.(workflow);
      } catch (e) {
        recorded(e);
        this.#leases?.release(runId);
        throw e;
      }
      const journal = opened?.journal;
      const onEvent = options.onEvent;
      // Queued behind the runs with its concurrency key (cancelling it while queued ends it);
      // a sub-workflow run whose ancestor holds the key runs in its place (waiting would deadlock).
      const inherited = durable.held ?? new Set<string>();
      const key = workflow.concurrencyKey;
      const acquires = key !== undefined && !inherited.has(key);
      let queued = false;
      const max = workflow.maxRuns ?? 1;
      const onQueued = () => {
        if (queued) return;
        queued = true;
        const time = this.#host.clock.now();
        void journal?.add({ type: "run-queued", time, key: key as string }).catch(() => undefined);
        const event: RunEvent = { type: "run-queued", runId, time, key: key as string, maxRuns: max };
        emit(event);
        onEvent?.(event);
      };
      const admitted = acquires ? await this.#admission.acquire(key, max, cancel.signal, onQueued) : () => {};
      // Then among the runs of the other processes on a shared store (the SQLite file, Postgres).
      const shared = this.#host.store?.admitRun?.bind(this.#host.store);
      if (acquires && journal && shared)
        await admitAcrossProcesses(shared, { runId, key, max }, this.#host.clock, cancel.signal, onQueued);
      if (queued)
        void journal?.add({ type: "run-admitted", time: this.#host.clock.now() }).catch(() => undefined);
      const held = acquires ? new Set([...inherited, key]) : inherited;
      const left = usesPriority(workflow) ? this.#gate.enter() : () => {};
      const execution = new RunExecution(
        workflow,
        runId,
        this.#runPool(workflow, durable.depth ?? 0, durable.tree ?? { started: 0 }, held),
        this.#host.clock,
        this.#options,
        {
          ...options,
          signal: cancel.signal,
          params: runParams,
          ...(durable.parentRun !== undefined ? { parentRun: durable.parentRun } : {}),
        },
        (event) => {
          emit(event);
          onEvent?.(event);
        },
        () => onEvent !== undefined || subscribed(),
        journal
          ? {
              journal,
              ...(durable.prior ? { prior: durable.prior } : {}),
              ...(this.#cache ? { cache: this.#cache } : {}),
              ...(opened ? { startedAt: opened.startedAt } : {}),
              ...(durable.rerunOf !== undefined ? { rerunOf: durable.rerunOf } : {}),
            }
          : undefined,
      );
      try {
        return await execution.execute();
      } finally {
        left();
        admitted();
        this.#leases?.release(runId);
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
    this.#leases?.stop();
    await this.#host.pool.close();
    await this.#host.store?.close();
    await this.#host.dispose?.();
  }

  #assertOpen(): void {
    if (this.#closed) throw new Error("the engine is closed; create a new one with createEngine()");
  }
}
