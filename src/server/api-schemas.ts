/**
 * The HTTP API's request and response bodies as zod schemas: requests are checked with
 * them, and `GET /api/openapi.json` is generated from them and from the run report's schema.
 */
import { z } from "zod";
import { RUN_LIST_STATUSES } from "../core/durable/stored-run.js";
import { MAX_JSON_DEPTH, nestedDeeperThan } from "../core/json-depth.js";
import { RUN_STATUSES, runReportSchema } from "../core/report.js";
import { workflowSpecSchema } from "../core/schema.js";

/** `POST /api/runs`. */
export const submitRunSchema = z.strictObject({
  workflow: z.union([z.string(), workflowSpecSchema]).meta({
    description:
      "The workflow: the text of a workflow file (Lua, YAML or JSON), or the workflow as an object.",
  }),
  format: z
    .enum(["lua", "yaml", "json"])
    .optional()
    .meta({ description: "The format of workflow text; default: detected." }),
  params: z.record(z.string(), z.unknown()).optional().meta({
    description:
      "Run params by name (the workflow's `params`; defaults apply to those not given). Unknown, missing or mistyped params answer 400 naming the param.",
  }),
});

/** `POST /api/runs/{id}/rerun`. */
export const rerunSchema = z.strictObject({
  from: z.string().optional().meta({ description: "Run this step and everything downstream of it again." }),
});

/** A count in a query string, with a message that says what it takes (zod's says "NaN"). */
function countParam(max: number) {
  const error = `must be a whole number from 1 to ${max}`;
  return z.coerce.number({ error }).int({ error }).min(1, { error }).max(max, { error });
}

/** `GET /api/runs` query. */
export const runsQuerySchema = z.strictObject({
  status: z.enum(RUN_LIST_STATUSES).optional(),
  limit: countParam(1000).optional(),
});

/** A run id, as the answer of the requests that start or touch a run. */
export const runIdSchema = z.object({ runId: z.string() });

/** `POST /api/runs/{id}/cancel`. */
export const cancelledSchema = z.object({ runId: z.string(), status: z.literal("cancelling") });

/** `DELETE /api/runs/{id}`. */
export const deletedSchema = z.object({ runId: z.string(), deleted: z.literal(true) });

/** One run in `GET /api/runs` (as `sandflow runs --json`). */
export const runSummarySchema = z.object({
  runId: z.string(),
  workflow: z.string(),
  status: z.enum(RUN_STATUSES),
  startedAt: z.number(),
  finishedAt: z.number().nullable(),
});

/** `GET /api/runs`. */
export const runsListSchema = z.object({ runs: z.array(runSummarySchema) });

/** `GET /api/runs/{id}/workflow`: the run's steps and how they depend on each other (for drawing the DAG). */
export const runWorkflowSchema = z.object({
  name: z.string(),
  parentRun: z.string().optional().meta({ description: "The run whose sub-workflow step started this one." }),
  steps: z.array(
    z.object({
      id: z.string(),
      language: z
        .string()
        .meta({ description: "The step's language, or `workflow` for a step that runs a sub-workflow." }),
      dependsOn: z.array(z.string()),
      code: z.string().nullable(),
      when: z.string().optional(),
      forEach: z.string().optional(),
      triggerRule: z.string().optional(),
      workflow: z.string().optional().meta({ description: "The sub-workflow the step runs (its path)." }),
    }),
  ),
});

/** The answer to `POST /api/runs/{id}/signals/{name}`. */
export const signalSentSchema = z.object({
  runId: z.string(),
  name: z.string(),
  signalId: z.string(),
  delivered: z
    .boolean()
    .meta({ description: "False when this signal id was sent before (nothing changed)." }),
});

/** `POST /api/events/{name}`. */
export const emitEventSchema = z.strictObject({
  id: z.string().min(1).max(200).optional().meta({
    description: "The event's id: a delivery again with the same id starts nothing new. Default: a new id.",
  }),
  data: z
    .unknown()
    .optional()
    .refine((data) => !nestedDeeperThan(data), `is nested deeper than ${MAX_JSON_DEPTH} levels`)
    .meta({ description: "The event's data: each run gets it as its `event` param." }),
});

/** The answer to an event. */
export const eventAnswerSchema = z.object({
  eventId: z.string(),
  runIds: z.array(z.string()),
  duplicate: z.boolean().optional().meta({
    description:
      "True when this event id was delivered before: `runIds` are that delivery's runs, none started now.",
  }),
});

/** `GET /api/workflows`: what the server registered from its --workflows folder. */
export const workflowsListSchema = z.object({
  folder: z.string().nullable(),
  workflows: z.array(
    z.object({
      file: z.string(),
      name: z.string(),
      description: z.string().nullable(),
      steps: z.number(),
      events: z.array(z.string()),
      schedule: z.object({ cron: z.string(), timezone: z.string() }).nullable(),
    }),
  ),
  problems: z.array(z.object({ file: z.string(), message: z.string() })),
});

/** `GET /api/schedules`. */
export const schedulesListSchema = z.object({
  schedules: z.array(
    z.object({
      file: z.string(),
      workflow: z.string(),
      cron: z.string(),
      timezone: z.string(),
      next: z.array(z.string()),
      last: z.string().nullable(),
    }),
  ),
});

/** `GET /api/schedules` query. */
export const schedulesQuerySchema = z.strictObject({
  count: countParam(100).optional(),
});

/** Every error answer. */
export const errorSchema = z.object({
  error: z.object({
    name: z.string(),
    message: z.string(),
    issues: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  }),
});

/** The API's request and response schemas, by name (components of the OpenAPI document). */
export const API_SCHEMAS = {
  SubmitRun: submitRunSchema,
  Rerun: rerunSchema,
  RunId: runIdSchema,
  Cancelled: cancelledSchema,
  Deleted: deletedSchema,
  RunSummary: runSummarySchema,
  RunsList: runsListSchema,
  RunReport: runReportSchema,
  RunWorkflow: runWorkflowSchema,
  SignalSent: signalSentSchema,
  EmitEvent: emitEventSchema,
  EventAnswer: eventAnswerSchema,
  WorkflowsList: workflowsListSchema,
  SchedulesList: schedulesListSchema,
  Error: errorSchema,
} as const;
