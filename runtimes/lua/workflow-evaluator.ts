/**
 * Evaluates Lua workflow files (the hybrid engines' format) in a restricted Lua state with
 * an instruction budget and a memory budget, and returns the `workflow` table as data.
 */
import type { LuaFactory } from "wasmoon";
import { WorkflowLoadError } from "../../src/core/errors.js";
import type { LuaWorkflowEvaluator } from "../../src/core/loaders/parse-source.js";
import { err, ok, type Result } from "../../src/core/result.js";
import type { EvaluatedResponse, EvaluateWorkflowRequest } from "../../src/protocol/lua-evaluator.js";
import { createLuaSandbox, HOOK_INTERVAL } from "./lua-sandbox.js";

/** Budgets of {@link createLuaWorkflowEvaluator}; every field optional. */
export interface LuaWorkflowEvaluatorOptions {
  /** Lua VM instructions a workflow file may run. Default: 50 million. */
  readonly instructionBudget?: number;
  /** Bytes a workflow file may allocate. Default: 64 MiB. */
  readonly memoryBudget?: number;
}

/** Creates an evaluator; each file gets a fresh Lua state. */
export function createLuaWorkflowEvaluator(
  createFactory: () => LuaFactory,
  options: LuaWorkflowEvaluatorOptions = {},
): LuaWorkflowEvaluator {
  const budget = options.instructionBudget ?? 50_000_000;
  const memory = options.memoryBudget ?? 64 * 1024 * 1024;
  if (!(budget > 0))
    throw new TypeError(`options.instructionBudget must be a positive number, got ${budget}`);
  if (!(memory > 0)) throw new TypeError(`options.memoryBudget must be a positive number, got ${memory}`);
  let factory: LuaFactory | undefined;
  return {
    async evaluate(source: string, label: string): Promise<Result<unknown, WorkflowLoadError>> {
      factory ??= createFactory();
      let hooks = 0;
      const limit = Math.ceil(budget / HOOK_INTERVAL);
      const sandbox = await createLuaSandbox(
        factory,
        () => undefined,
        () =>
          ++hooks > limit
            ? `sandflow: the workflow file ran more than ${budget} Lua instructions`
            : undefined,
      );
      try {
        sandbox.setMemoryMax(sandbox.memoryUsed() + memory);
        const result = sandbox.evaluate(source, `@${label}`);
        const body = result.slice(1);
        if (result.startsWith("1")) return ok(JSON.parse(body));
        if (result.startsWith("2")) return err(new WorkflowLoadError(`${label}: ${body}`));
        const reason = /not enough memory/.test(body)
          ? `the workflow file used more than ${memory} bytes of memory`
          : body;
        return err(new WorkflowLoadError(`${label}: the Lua workflow file failed: ${reason}`));
      } finally {
        sandbox.close();
      }
    },
  };
}

/** Evaluates the file `request` names, as the pool's `evaluated` response. */
export async function evaluateWorkflowRequest(
  evaluator: LuaWorkflowEvaluator,
  request: EvaluateWorkflowRequest,
): Promise<EvaluatedResponse> {
  const result = await evaluator.evaluate(request.source, request.label);
  return {
    type: "evaluated",
    result: result.ok
      ? { ok: true, value: result.value }
      : { ok: false, error: { name: result.error.name, message: result.error.message } },
  };
}
