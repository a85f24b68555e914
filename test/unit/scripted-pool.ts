/**
 * A StepPool for scheduler unit tests: runs no code; each attempt resolves after a short
 * random delay with the outcome a script decides. Records what ran and when, so tests can
 * check ordering, concurrency and retries. (Integration tests use the real pool.)
 */
import type { Language } from "../../src/core/languages.js";
import type { StepPool, StepRunOptions, StepTask, StepTaskResult } from "../../src/core/step-pool.js";

export type Script = (
  task: StepTask,
) => { ok: true; value: unknown } | { ok: false; name?: string; message: string } | "hang";

export interface Execution {
  readonly stepId: string;
  readonly attempt: number;
  readonly inputs: unknown;
  readonly start: number;
  end: number;
}

export class ScriptedPool implements StepPool {
  readonly threads = 4;
  readonly executions: Execution[] = [];
  maxRunning = 0;
  #running = 0;
  #seq = 0;
  constructor(
    readonly script: Script,
    readonly delay: () => number = () => Math.random() * 3,
  ) {}

  run(task: StepTask, options: StepRunOptions = {}): Promise<StepTaskResult> {
    const exec: Execution = {
      stepId: task.stepId,
      attempt: task.attempt,
      inputs: JSON.parse(task.inputsJson),
      start: this.#seq++,
      end: -1,
    };
    this.executions.push(exec);
    this.#running++;
    this.maxRunning = Math.max(this.maxRunning, this.#running);
    const outcome = this.script(task);
    return new Promise((resolve) => {
      const finish = (result: StepTaskResult["outcome"]) => {
        clearTimeout(timer);
        this.#running--;
        exec.end = this.#seq++;
        resolve({
          outcome: result,
          changes: { upserts: {}, deletes: [] },
          stdout: "",
          stderr: "",
          startedAt: Date.now(),
          finishedAt: Date.now(),
        });
      };
      const timer = setTimeout(() => {
        if (outcome === "hang") return;
        if (outcome.ok) finish({ ok: true, outputJson: JSON.stringify(outcome.value) });
        else
          finish({
            ok: false,
            error: { name: outcome.name ?? "StepRuntimeError", message: outcome.message },
          });
      }, this.delay());
      options.signal?.addEventListener(
        "abort",
        () => finish({ ok: false, error: { name: "StepCancelledError", message: "cancelled" } }),
        { once: true },
      );
    });
  }

  async prepare(_languages: ReadonlySet<Language>): Promise<void> {}
  async close(): Promise<void> {}
}
