/**
 * The run report: what `engine.run` returns and what `sandflow run --json` prints.
 * One zod schema; the JSON Schema shipped in schemas/ is generated from it.
 */
import { z } from "zod";
import { LANGUAGES } from "./languages.js";

const errorInfoSchema = z.object({
  name: z.string(),
  message: z.string(),
});

/** State of a step in a report (`pending` and `running` only in the report of an unfinished run). */
export const STEP_STATUSES = ["succeeded", "failed", "skipped", "cancelled", "pending", "running"] as const;
/**
 * State of a run: a finished run's, or (in `sandflow show` of a stored run) `running`,
 * `interrupted` when the process that ran it died before it finished, `waiting` when all its
 * running steps wait (sleep, a signal, an approval), `queued` while it waits for a place among
 * the runs with its `concurrency_key` (`max_runs`).
 */
export const RUN_STATUSES = [
  "succeeded",
  "failed",
  "cancelled",
  "running",
  "interrupted",
  "waiting",
  "queued",
] as const;

/** One step in the run report. */
export const stepReportSchema = z.object({
  status: z.enum(STEP_STATUSES),
  language: z.enum(LANGUAGES),
  kind: z.enum(["wait", "workflow"]).optional().meta({
    description:
      "Set for a step that runs no code of its own: `wait` (sleep, wait_for, approval) or `workflow` (a sub-workflow); its `language` then means nothing.",
  }),
  output: z.unknown(),
  stdout: z.string(),
  stderr: z.string(),
  error: errorInfoSchema.nullable(),
  attempts: z.int().min(0),
  startedAt: z.int().nullable(),
  finishedAt: z.int().nullable(),
  durationMs: z.int().min(0).nullable(),
  cached: z
    .boolean()
    .optional()
    .meta({ description: "The result came from the step cache; the code did not run." }),
  reusedFrom: z
    .string()
    .optional()
    .meta({ description: "A rerun kept this step's result from the run with this id." }),
  items: z
    .array(
      z.object({
        status: z.enum(["pending", "succeeded", "failed", "cancelled"]),
        output: z.unknown(),
        error: errorInfoSchema.nullable(),
        attempts: z.int().min(0),
      }),
    )
    .optional()
    .meta({ description: "for_each steps: each item, in item order." }),
  compensation: z
    .object({
      status: z.enum(["succeeded", "failed", "cancelled"]),
      output: z.unknown(),
      error: errorInfoSchema.nullable(),
    })
    .optional()
    .meta({ description: "The step's compensation, when the run failed after the step succeeded." }),
  iterations: z
    .int()
    .min(0)
    .optional()
    .meta({ description: "repeat steps: the iterations that ran (the last one's output is the step's)." }),
});

/** The report of a run that started. Times are whole epoch milliseconds. */
export const runReportSchema = z.object({
  workflow: z.string(),
  runId: z.string().min(1),
  status: z.enum(RUN_STATUSES),
  startedAt: z.int(),
  finishedAt: z.int(),
  durationMs: z.int().min(0),
  params: z
    .record(z.string(), z.unknown())
    .meta({ description: "The run's params (defaults applied)." })
    .optional(),
  steps: z.record(z.string(), stepReportSchema),
  rerunOf: z.string().optional().meta({ description: "The run this run reruns." }),
  parentRun: z
    .string()
    .optional()
    .meta({ description: "The run whose sub-workflow step started this one (a `workflow` step)." }),
  waiting: z
    .array(
      z.object({
        step: z.string(),
        for: z.enum(["time", "signal", "approval"]),
        signal: z.string().optional(),
        until: z
          .int()
          .optional()
          .meta({ description: "Epoch ms: the wake time of a sleep, or a wait's timeout." }),
      }),
    )
    .optional()
    .meta({
      description:
        "With status waiting: the steps that wait and what for (a run waits when every step still running waits).",
    }),
  queued: z
    .object({ key: z.string(), maxRuns: z.int().min(1) })
    .optional()
    .meta({
      description:
        "With status queued: the concurrency_key the run waits for a place under, and that key's max_runs.",
    }),
});

/** What `--json` prints for a workflow that failed validation. */
export const invalidReportSchema = z.object({
  status: z.literal("invalid"),
  error: errorInfoSchema.extend({
    issues: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  }),
});

/** One step in the run report. */
export type StepReport = z.infer<typeof stepReportSchema>;
/** The report of a run. */
export type RunReport = z.infer<typeof runReportSchema>;
/** The report printed for an invalid workflow. */
export type InvalidReport = z.infer<typeof invalidReportSchema>;
/** Final state of a step. */
export type StepStatus = (typeof STEP_STATUSES)[number];
/** Final state of a run. */
export type RunStatus = (typeof RUN_STATUSES)[number];

/** The JSON Schema (draft 2020-12) of everything `sandflow run --json` may print. */
export function runReportJsonSchema(): Record<string, unknown> {
  const schema = z.union([runReportSchema, invalidReportSchema]).meta({
    title: "sandflow run report (the CLI's --json output and the browser API's result)",
  });
  return z.toJSONSchema(schema, { target: "draft-2020-12" }) as Record<string, unknown>;
}
