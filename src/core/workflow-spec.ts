/**
 * The inverse of validation: a {@link WorkflowDefinition} written back as a workflow file
 * would write it, every step's code inline (what `sandflow run --server` sends). Every field
 * of the format must come back; test/unit/workflow-spec-of.test.ts fails when one does not.
 */
import type { StepSpec, WorkflowSpec } from "./schema.js";
import { parseWasmStepCode, WASM_DATA_URL } from "./wasm-step.js";
import type { StepDefinition, SubworkflowCall, WaitSpec, WorkflowDefinition } from "./workflow.js";

/** A step's code as a file writes it inline: the source, or a wasm module as a data: URL. */
function codeOf(s: StepDefinition): StepSpec {
  if (s.language !== "wasm") return { language: s.language, code: s.code ?? "" };
  const wasm = parseWasmStepCode(s.code ?? "");
  return {
    language: "wasm",
    module: `${WASM_DATA_URL}${wasm.base64}`,
    ...(wasm.func !== undefined ? { func: wasm.func } : {}),
    ...(wasm.args.length > 0 ? { args: [...wasm.args] } : {}),
    ...(wasm.input !== 0 ? { input: wasm.input } : {}),
  };
}

/** A waiting step's fields. */
function waitOf(wait: WaitSpec): StepSpec {
  if (wait.kind === "sleep")
    return wait.until !== undefined
      ? { until: new Date(wait.until).toISOString() }
      : { sleep: `${wait.ms ?? 0}ms` };
  const timeout = wait.timeoutMs !== undefined ? { timeout: `${wait.timeoutMs}ms` } : undefined;
  if (wait.approval) return { approval: timeout ?? true };
  return { wait_for: { signal: wait.name, ...timeout } };
}

/** The control-flow fields of a step. */
function flowOf(s: StepDefinition): StepSpec {
  return {
    ...(s.when !== undefined ? { when: s.when } : {}),
    ...(s.forEach !== undefined ? { for_each: s.forEach } : {}),
    ...(s.maxParallel !== undefined ? { max_parallel: s.maxParallel } : {}),
    ...(s.repeat !== undefined ? { repeat: { ...s.repeat } } : {}),
    ...(s.compensate !== undefined ? { compensate: { ...s.compensate } } : {}),
    ...(s.triggerRule !== undefined ? { trigger_rule: s.triggerRule } : {}),
    ...(s.rateLimitKey !== undefined ? { rate_limit_key: s.rateLimitKey } : {}),
    ...(s.priority !== undefined ? { priority: s.priority } : {}),
  };
}

/** A sub-workflow step's fields. */
function callOf(call: SubworkflowCall): StepSpec {
  return {
    workflow: call.path,
    ...(Object.keys(call.params).length > 0 ? { params: { ...call.params } } : {}),
  };
}

/** What a step runs: code, a wait or a workflow. */
function bodyOf(s: StepDefinition): StepSpec {
  if (s.subworkflow) return callOf(s.subworkflow);
  return s.wait ? waitOf(s.wait) : codeOf(s);
}

/** The sub-workflows of the top workflow, written inline (keyed by path from its folder). */
function inlineOf(workflow: WorkflowDefinition): Pick<WorkflowSpec, "workflows"> {
  const children = Object.entries(workflow.subworkflows ?? {});
  if (children.length === 0) return {};
  const workflows: Record<string, Record<string, unknown>> = {};
  for (const [key, child] of children)
    workflows[key] = workflowSpecOf({ ...child, subworkflows: {} }) as Record<string, unknown>;
  return { workflows };
}

/** The workflow as a file would write it, with every step's code inline (sub-workflows under `workflows`). */
export function workflowSpecOf(workflow: WorkflowDefinition): WorkflowSpec {
  const steps: WorkflowSpec["steps"] = {};
  for (const s of workflow.steps) {
    const cache = s.cacheTtl === undefined ? undefined : s.cacheTtl === null ? true : `${s.cacheTtl}s`;
    steps[s.id] = {
      ...bodyOf(s),
      depends_on: [...s.dependsOn],
      retries: s.retries,
      retry_delay: s.retryDelay,
      retry_backoff: s.retryBackoff,
      ...(s.subworkflow ? {} : { env: { ...s.env } }),
      ...(s.secrets.length > 0 ? { secrets: [...s.secrets] } : {}),
      ...(s.timeout !== undefined ? { timeout: s.timeout } : {}),
      ...(s.memory !== undefined ? { memory: s.memory } : {}),
      ...(s.description !== undefined ? { description: s.description } : {}),
      ...(cache !== undefined ? { cache } : {}),
      ...(s.allowNet !== undefined ? { allow: { net: [...s.allowNet] } } : {}),
      ...flowOf(s),
    };
  }
  return {
    name: workflow.name,
    ...(workflow.description !== undefined ? { description: workflow.description } : {}),
    ...(workflow.concurrency !== undefined ? { concurrency: workflow.concurrency } : {}),
    ...(workflow.priority !== undefined ? { priority: workflow.priority } : {}),
    ...(workflow.concurrencyKey !== undefined
      ? { concurrency_key: workflow.concurrencyKey, max_runs: workflow.maxRuns ?? 1 }
      : {}),
    ...(workflow.events !== undefined ? { on: workflow.events.map((event) => ({ event })) } : {}),
    ...(workflow.schedule !== undefined ? { schedule: workflow.schedule.cron } : {}),
    ...(workflow.schedule?.timezone !== undefined ? { timezone: workflow.schedule.timezone } : {}),
    ...(workflow.params ? { params: { ...workflow.params } } : {}),
    steps,
    ...inlineOf(workflow),
  };
}
