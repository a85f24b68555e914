/**
 * The engine's ceiling on network grants (engine option `netHosts`): the hosts any
 * workflow's `allow.net` may name. Workflow files are untrusted; an engine that runs
 * other people's workflows (a server) names the hosts they may reach, and a step granted
 * anything else fails without running.
 */
import { parseNetGrant } from "./net-grant.js";
import { failedAttempt, type StepPool, type StepRunOptions, type StepTask } from "./step-pool.js";
import type { WorkflowDefinition } from "./workflow.js";

/** Checks and normalises the option: `"any"` or a list of `host[:port]` entries. */
export function checkNetHosts(value: unknown): "any" | readonly string[] {
  if (value === undefined || value === "any") return "any";
  if (!Array.isArray(value))
    throw new TypeError('options.netHosts must be "any" or an array of "host" or "host:port" strings');
  return value.map((entry, i) => {
    const parsed = typeof entry === "string" ? parseNetGrant(entry) : undefined;
    if (!parsed?.ok)
      throw new TypeError(
        `options.netHosts[${i}] must be "host" or "host:port"${parsed && !parsed.ok ? `: ${parsed.error}` : ""}`,
      );
    return parsed.text;
  });
}

/** The pool a run uses: a step granted a host the engine does not allow fails without running. */
export function withNetCeiling(
  pool: StepPool,
  workflow: WorkflowDefinition,
  allowed: "any" | readonly string[],
): StepPool {
  if (allowed === "any") return pool;
  const refused = new Map<string, string[]>();
  for (const s of workflow.steps) {
    const outside = (s.allowNet ?? []).filter((h) => !allowed.includes(h));
    if (outside.length > 0) refused.set(s.id, outside);
  }
  if (refused.size === 0) return pool;
  const run = (task: StepTask, options?: StepRunOptions) => {
    const outside = refused.get(task.stepId);
    if (!outside) return pool.run(task, options);
    const list = outside.map((h) => `'${h}'`).join(", ");
    return Promise.resolve(
      failedAttempt(
        "StepRuntimeError",
        `step '${task.stepId}' is granted ${list}, which the engine does not allow (engine option netHosts)`,
        Date.now(),
      ),
    );
  };
  return new Proxy(pool, {
    get: (target, key) => {
      if (key === "run") return run;
      const value = Reflect.get(target, key, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}
