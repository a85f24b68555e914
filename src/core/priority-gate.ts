/**
 * Priorities across runs: while a run that sets `priority` (its own or a step's) is running,
 * step attempts of every run go to the engine's workers through this gate, which lets a few
 * in at a time (twice the workers, so they stay busy) and hands out the rest highest
 * priority first. With no priorities in play attempts go straight through, at no cost.
 */
import { PriorityQueue } from "./priority-queue.js";
import type { StepPool, StepRunOptions, StepTask, StepTaskResult } from "./step-pool.js";
import type { WorkflowDefinition } from "./workflow.js";

interface Waiter {
  readonly priority: number;
  readonly go: () => void;
}

/** Whether a workflow sets a run or step priority. */
export function usesPriority(workflow: WorkflowDefinition): boolean {
  return Boolean(workflow.priority) || workflow.steps.some((s) => s.priority);
}

/** The engine's gate to its workers. */
export class PriorityGate {
  readonly #capacity: number;
  readonly #queue = new PriorityQueue<Waiter>((w) => w.priority);
  #active = 0;
  #inFlight = 0;

  constructor(capacity: number) {
    this.#capacity = Math.max(1, capacity);
  }

  /** A run that uses priorities starts; call the function returned when it ends. */
  enter(): () => void {
    this.#active++;
    let left = false;
    return () => {
      if (left) return;
      left = true;
      this.#active--;
      if (this.#active === 0) while (this.#queue.size > 0) this.#next(true);
    };
  }

  /** Runs `attempt` when its turn comes. */
  async through(priority: number, attempt: () => Promise<StepTaskResult>): Promise<StepTaskResult> {
    if (this.#active > 0 && (this.#inFlight >= this.#capacity || this.#queue.size > 0))
      await new Promise<void>((go) => this.#queue.push({ priority, go }));
    this.#inFlight++;
    try {
      return await attempt();
    } finally {
      this.#inFlight--;
      this.#next(false);
    }
  }

  #next(all: boolean): void {
    if (all || this.#inFlight < this.#capacity) this.#queue.shift()?.go();
  }
}

/** The pool a run uses: its attempts go through the engine's gate with their priority. */
export function withPriority(pool: StepPool, workflow: WorkflowDefinition, gate: PriorityGate): StepPool {
  const runPriority = workflow.priority ?? 0;
  const stepPriority = new Map(workflow.steps.map((s) => [s.id, s.priority ?? 0]));
  // The run's priority first, then the step's (each within -1000..1000).
  const priorityOf = (stepId: string) => runPriority * 2001 + (stepPriority.get(stepId) ?? 0);
  const run = (task: StepTask, options?: StepRunOptions): Promise<StepTaskResult> =>
    gate.through(priorityOf(task.stepId), () => pool.run(task, options));
  return new Proxy(pool, {
    get: (target, key) => {
      if (key === "run") return run;
      const value = Reflect.get(target, key, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}
