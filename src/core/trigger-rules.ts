/**
 * Trigger rules (Airflow's names): when a step with dependencies runs, given how its
 * dependencies ended. A step whose rule can no longer be met is skipped.
 */

/** The trigger rules a step may name; `all_success` is the default. */
export const TRIGGER_RULES = [
  "all_success",
  "all_done",
  "all_failed",
  "one_failed",
  "one_success",
  "none_failed",
] as const;

/** When a step runs, given how its dependencies ended. */
export type TriggerRule = (typeof TRIGGER_RULES)[number];

/**
 * How a step's dependencies have ended so far. `failed` counts dependencies that failed
 * or were skipped because something upstream failed; `skipped` those skipped by a
 * condition (or only because of skipped steps upstream).
 */
export interface DependencyCounts {
  total: number;
  succeeded: number;
  failed: number;
  skipped: number;
}

/** The counts of a step with `total` dependencies, none ended yet. */
export function dependencyCounts(total: number): DependencyCounts {
  return { total, succeeded: 0, failed: 0, skipped: 0 };
}

/**
 * Whether the step runs now, is skipped (its rule can no longer be met), or waits for
 * more dependencies. `one_success` and `one_failed` run as soon as one dependency qualifies.
 */
export function ruleVerdict(rule: TriggerRule, c: DependencyCounts): "run" | "skip" | "wait" {
  const done = c.succeeded + c.failed + c.skipped;
  const allDone = done === c.total;
  switch (rule) {
    case "all_success":
      return c.failed + c.skipped > 0 ? "skip" : allDone ? "run" : "wait";
    case "all_done":
      return allDone ? "run" : "wait";
    case "all_failed":
      return c.succeeded + c.skipped > 0 ? "skip" : allDone ? "run" : "wait";
    case "one_failed":
      return c.failed > 0 ? "run" : allDone ? "skip" : "wait";
    case "one_success":
      return c.succeeded > 0 ? "run" : allDone ? "skip" : "wait";
    case "none_failed":
      return c.failed > 0 ? "skip" : allDone ? "run" : "wait";
  }
}

/** Why a step's rule cannot be met, for its skip message. */
export function unmetReason(rule: TriggerRule, last: string, lastFailed: boolean): string {
  if (rule === "all_success") return `not run: dependency '${last}' ${lastFailed ? "failed" : "was skipped"}`;
  const why: Record<Exclude<TriggerRule, "all_success" | "all_done">, string> = {
    all_failed: `dependency '${last}' did not fail`,
    one_failed: "no dependency failed",
    one_success: "no dependency succeeded",
    none_failed: `dependency '${last}' failed`,
  };
  return `not run: trigger_rule ${rule}: ${why[rule as keyof typeof why] ?? "cannot be met"}`;
}
