/**
 * Control flow of one run, beside the scheduler (run-execution.ts) that dispatches
 * attempts: how a step's end reaches its dependents (trigger rules), whether a step may
 * run (`when`), a for_each step's items, a repeat step's next iteration, and the steps
 * that end without an attempt (skipped, or failed on an expression).
 */
import type { RunRecorder } from "./durable/run-recorder.js";
import { applyRecorded } from "./durable/run-state.js";
import type { SerializedError } from "./errors.js";
import type { RunEvent } from "./events.js";
import { FanOut, forEachList } from "./for-each.js";
import type { ResolvedEngineOptions } from "./options.js";
import type { Clock } from "./platform.js";
import type { StepConditions } from "./step-conditions.js";
import type { StepTaskResult } from "./step-pool.js";
import { itemState, type StepState, stepTimes } from "./step-state.js";
import { ruleVerdict, unmetReason } from "./trigger-rules.js";
import type { RunWorkspace } from "./workspace.js";

/** What the control flow needs of its run's scheduler. */
export interface FlowHost {
  readonly runId: string;
  readonly concurrency: number;
  readonly engine: ResolvedEngineOptions;
  readonly recorder: RunRecorder | undefined;
  readonly workspace: RunWorkspace;
  readonly clock: Clock;
  emit(event: RunEvent): void;
  listening(): boolean;
  /** Queues a step (or an item) for a worker. */
  makeReady(s: StepState): void;
  /** True once the run stopped scheduling (cancelled, or fail-fast). */
  stopped(): boolean;
  /** Told of a step that failed (the run may stop: fail-fast). */
  failed(s: StepState): void;
}

/** The control flow of one run. */
export class StepFlow {
  /** Steps whose dependents are still to be told how they ended (see {@link settle}). */
  readonly #settling: StepState[] = [];
  #draining = false;

  constructor(
    private readonly host: FlowHost,
    private readonly conditions: StepConditions,
  ) {}

  /**
   * An iteration of a repeat step succeeded: true when the step runs again (its `until` is
   * false) or failed (`until` could not be evaluated, or `max` iterations ran); false when
   * `until` holds and the step succeeds with this output.
   */
  repeated(
    s: StepState,
    r: StepTaskResult,
    outputJson: string,
    repeat: { until: string; max: number },
  ): boolean {
    const iteration = s.loop?.iteration ?? 1;
    const field = `steps.${s.def.id}.repeat.until`;
    const inputs = this.conditions.inputsOf(s);
    if (s.loop) inputs.previous = JSON.parse(s.loop.previousJson);
    const value = this.conditions.evaluate(s, repeat.until, "repeat", {
      output: JSON.parse(outputJson),
      inputs,
    });
    if (value.ok && value.value === true) return false;
    let failure: SerializedError | undefined;
    if (!value.ok) failure = { name: "ExpressionError", message: `${field}: ${value.error}` };
    else if (typeof value.value !== "boolean")
      failure = {
        name: "ExpressionError",
        message: `${field}: the condition must be true or false, got ${JSON.stringify(value.value)}`,
      };
    else if (iteration >= repeat.max)
      failure = {
        name: "LoopLimitError",
        message: `${field} was still false after ${iteration} iteration${iteration === 1 ? "" : "s"} (repeat.max is ${repeat.max})`,
      };
    if (!failure) {
      s.loop = { iteration: iteration + 1, previousJson: outputJson, attemptBase: s.attempts };
      this.host.makeReady(s);
      return true;
    }
    s.phase = "failed";
    s.error = failure;
    s.outputJson = undefined;
    this.host.recorder?.ended(s, { ...r, outcome: { ok: false, error: failure } });
    if (!s.item)
      this.host.emit({
        type: "step-failed",
        runId: this.host.runId,
        stepId: s.def.id,
        attempt: s.attempts,
        error: failure,
        durationMs: stepTimes(s).durationMs ?? 0,
        time: this.host.clock.now(),
      });
    this.settle(s);
    this.host.failed(s);
    return true;
  }

  /**
   * Tells the dependents of `ended` (succeeded, failed or skipped) how it ended: each whose
   * trigger rule is now met is allowed to run, each whose rule cannot be met any more is
   * skipped, and so on down (a worklist, not recursion: chains may be long).
   */
  settle(ended: StepState): void {
    if (ended.item) {
      this.#itemEnded(ended);
      return;
    }
    this.#settling.push(ended);
    if (this.#draining) return;
    this.#draining = true;
    while (this.#settling.length > 0) {
      const s = this.#settling.pop() as StepState;
      const failed = s.phase === "failed" || (s.phase === "skipped" && s.skipKind === "upstream");
      for (const child of s.dependents) {
        if (child.phase !== "pending") continue;
        if (s.phase === "succeeded") child.deps.succeeded++;
        else if (failed) child.deps.failed++;
        else child.deps.skipped++;
        const rule = child.def.triggerRule ?? "all_success";
        const verdict = ruleVerdict(rule, child.deps);
        if (verdict === "run") this.allowed(child);
        else if (verdict === "skip")
          this.#skip(
            child,
            "UpstreamFailedError",
            unmetReason(rule, s.def.id, s.phase === "failed"),
            child.deps.failed > 0 ? "upstream" : "condition",
          );
      }
    }
    this.#draining = false;
  }

  /** A step whose trigger rule is met: ready, unless its `when` says otherwise. */
  allowed(s: StepState): void {
    const when = s.def.when;
    if (when === undefined) {
      this.#go(s);
      return;
    }
    const value = this.conditions.evaluate(s, when);
    if (!value.ok) this.#failUnrun(s, "ExpressionError", `steps.${s.def.id}.when: ${value.error}`);
    else if (value.value === true) this.#go(s);
    else if (value.value === false)
      this.#skip(s, "ConditionFalseError", `not run: its condition is false: ${when}`, "condition");
    else
      this.#failUnrun(
        s,
        "ExpressionError",
        `steps.${s.def.id}.when: the condition must be true or false, got ${JSON.stringify(value.value)}`,
      );
  }

  /** A step allowed to run: ready, or a for_each step's items. */
  #go(s: StepState): void {
    if (s.def.forEach === undefined) this.host.makeReady(s);
    else this.#expand(s, s.def.forEach);
  }

  /** Evaluates a for_each step's list and starts its first items. */
  #expand(s: StepState, source: string): void {
    const listed = forEachList(
      this.conditions.evaluate(s, source),
      `steps.${s.def.id}.for_each`,
      this.host.engine.maxForEachItems,
    );
    if (!listed.ok) {
      this.#failUnrun(s, listed.error.name, listed.error.message);
      return;
    }
    const items = listed.value;
    const time = this.host.clock.now();
    s.phase = "running";
    s.startedAt = time;
    // A for_each step's attempts: its items' most (1 when no item was retried).
    s.attempts = 1;
    const window = Math.min(s.def.maxParallel ?? this.host.concurrency, this.host.concurrency);
    s.fanout = new FanOut(
      items.map((v) => JSON.stringify(v)),
      window,
      this.host.engine.outputLimit,
    );
    if (this.host.listening())
      this.host.emit({ type: "step-started", runId: this.host.runId, stepId: s.def.id, attempt: 1, time });
    this.#fillItems(s);
  }

  /** Starts items of `s` while its window has room; ends the step once all items ended. */
  #fillItems(s: StepState): void {
    const f = s.fanout as FanOut;
    const prior = this.host.recorder?.durability.prior;
    while (!this.host.stopped() && f.inFlight < f.window && f.next < f.records.length) {
      const index = f.next++;
      const item = itemState(s, index, f.itemsJson[index] as string);
      const recorded = prior?.get(item.def.id);
      if (recorded?.status === "succeeded") {
        // A resumed run keeps the items that succeeded.
        applyRecorded(item, recorded);
        item.phase = "succeeded";
        s.attempts = Math.max(s.attempts, item.attempts);
        f.end(index, item, recorded.files);
        continue;
      }
      f.inFlight++;
      this.host.makeReady(item);
    }
    if (f.done) this.#endFanOut(s);
  }

  #itemEnded(item: StepState): void {
    const { parent, index, changes } = item.item as NonNullable<StepState["item"]>;
    const f = parent.fanout as FanOut;
    f.inFlight--;
    parent.attempts = Math.max(parent.attempts, item.attempts);
    f.end(index, item, changes);
    this.#fillItems(parent);
  }

  /** A for_each step whose items all ended: succeeded with their outputs, or failed. */
  #endFanOut(s: StepState): void {
    const f = s.fanout as FanOut;
    const time = this.host.clock.now();
    s.finishedAt = time;
    s.stdout = f.stdout;
    s.stderr = f.stderr;
    const changes = f.changes();
    const base = {
      changes,
      stdout: f.stdout,
      stderr: f.stderr,
      startedAt: s.startedAt ?? time,
      finishedAt: time,
    };
    const durationMs = stepTimes(s).durationMs ?? 0;
    if (f.failed === 0) {
      s.phase = "succeeded";
      s.outputJson = f.outputJson();
      this.host.workspace.record(s.def.id, changes);
      this.host.recorder?.ended(s, { ...base, outcome: { ok: true, outputJson: s.outputJson } });
      if (this.host.listening())
        this.host.emit({
          type: "step-succeeded",
          runId: this.host.runId,
          stepId: s.def.id,
          attempt: 1,
          durationMs,
          time,
        });
    } else {
      s.phase = "failed";
      s.error = f.error();
      this.host.recorder?.ended(s, { ...base, outcome: { ok: false, error: s.error } });
      this.host.emit({
        type: "step-failed",
        runId: this.host.runId,
        stepId: s.def.id,
        attempt: 1,
        error: s.error,
        durationMs,
        time,
      });
    }
    this.settle(s);
  }

  #skip(s: StepState, name: string, reason: string, kind: "condition" | "upstream"): void {
    s.phase = "skipped";
    s.skipKind = kind;
    s.error = { name, message: reason };
    this.host.recorder?.closed(s, "skipped", s.error);
    this.host.emit({
      type: "step-skipped",
      runId: this.host.runId,
      stepId: s.def.id,
      reason,
      time: this.host.clock.now(),
    });
    this.settle(s);
  }

  /** A step that fails before any attempt (its condition could not be evaluated). */
  #failUnrun(s: StepState, name: string, message: string): void {
    const time = this.host.clock.now();
    s.phase = "failed";
    s.error = { name, message };
    this.host.recorder?.closed(s, "failed", s.error);
    this.host.emit({
      type: "step-failed",
      runId: this.host.runId,
      stepId: s.def.id,
      attempt: s.attempts,
      error: s.error,
      durationMs: 0,
      time,
    });
    this.settle(s);
    this.host.failed(s);
  }
}
