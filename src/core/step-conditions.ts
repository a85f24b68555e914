/**
 * The CEL expressions of a run's steps, compiled once per run, and the variables they
 * see: the run's `params` and the step's `inputs` (its direct dependencies' outputs).
 */
import { type CompiledExpression, compileExpression, type ExpressionScope } from "./expressions.js";
import { err, type Result } from "./result.js";
import type { StepState } from "./step-state.js";

/** Evaluates the expressions of one run's steps. */
export class StepConditions {
  readonly #compiled = new Map<string, Result<CompiledExpression, string>>();

  constructor(
    private readonly byId: ReadonlyMap<string, StepState>,
    private readonly params: Readonly<Record<string, unknown>>,
  ) {}

  /** The step's inputs as values: each dependency's output, `null` for one without. */
  inputsOf(s: StepState): Record<string, unknown> {
    const inputs = Object.create(null) as Record<string, unknown>;
    for (const dep of s.def.dependsOn) {
      const json = this.byId.get(dep)?.outputJson;
      inputs[dep] = json === undefined ? null : JSON.parse(json);
    }
    return inputs;
  }

  /** The value of `source` for step `s` (with `extra` variables: `item`, `index`, `previous`). */
  evaluate(
    s: StepState,
    source: string,
    scope: ExpressionScope = "step",
    extra: Readonly<Record<string, unknown>> = {},
  ): Result<unknown, string> {
    const key = `${scope}\0${source}`;
    let compiled = this.#compiled.get(key);
    if (!compiled) {
      compiled = compileExpression(source, scope);
      this.#compiled.set(key, compiled);
    }
    if (!compiled.ok) return err(compiled.error);
    return compiled.value.evaluate({ params: this.params, inputs: this.inputsOf(s), ...extra });
  }
}
