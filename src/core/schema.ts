/**
 * The workflow file format as one zod schema: the single source of truth for the Lua,
 * YAML, JSON and TypeScript forms, and for the JSON Schema shipped for editors.
 * Field names follow the hybrid engines' Lua format (`depends_on`, `retry_delay`, ...).
 */
import { z } from "zod";
import { DURATION_PATTERN } from "./durable/duration.js";
import { LANGUAGE_ALIASES } from "./languages.js";
import { parseNetGrant } from "./net-grant.js";
import { MAX_DELAY_SECONDS, MAX_RETRY_BACKOFF } from "./timer-range.js";

const atMostDelay = {
  message: `must be at most ${MAX_DELAY_SECONDS} seconds (about 24.8 days, the range of timers)`,
};

/** Step ids: a letter or `_` first, then letters, digits, `_`, `-` or `.`; at most 128 characters. */
export const STEP_ID_PATTERN = /^[A-Za-z_][A-Za-z0-9_.-]{0,127}$/;

const languageName = z.enum(Object.keys(LANGUAGE_ALIASES) as [string, ...string[]]).meta({
  description:
    "Step language: python, lua, shell, javascript or wasm (sh and bash are aliases of shell, js of javascript).",
});

/** Fields a step may set and `defaults` may give for every step. */
const stepSettings = {
  language: languageName.optional(),
  timeout: z
    .number()
    .positive()
    .max(MAX_DELAY_SECONDS, atMostDelay)
    .meta({ description: "Seconds before the step is stopped." })
    .optional(),
  retries: z.int().min(0).max(100).meta({ description: "Extra attempts after a failure." }).optional(),
  retry_delay: z
    .number()
    .min(0)
    .max(MAX_DELAY_SECONDS, atMostDelay)
    .meta({ description: "Seconds to wait before the first retry." })
    .optional(),
  retry_backoff: z
    .number()
    .min(1)
    .max(MAX_RETRY_BACKOFF, { message: `must be at most ${MAX_RETRY_BACKOFF}` })
    .meta({ description: "Multiplier applied to the delay after each retry." })
    .optional(),
  memory: z.number().positive().meta({ description: "Memory limit in MB." }).optional(),
  env: z
    .record(z.string(), z.string())
    .meta({ description: "Environment variables for the step (strings)." })
    .optional(),
  cache: z
    .union([
      z.boolean(),
      z.string().regex(DURATION_PATTERN, 'must be true, false or a duration such as "10m", "1h" or "7d"'),
    ])
    .meta({
      description:
        'Reuse a cached success of the same code, inputs, env and files: true (until `sandflow cache clear`) or for a duration ("10m", "1h", "7d").',
    })
    .optional(),
  allow: z
    .strictObject({
      net: z
        .array(
          z.string().superRefine((entry, ctx) => {
            const parsed = parseNetGrant(entry);
            if (!parsed.ok) ctx.addIssue({ code: "custom", message: parsed.error });
          }),
        )
        .meta({
          description:
            'Hosts the step may make HTTP(S) requests to, as "host" (ports 80 and 443 by scheme) or "host:port"; the host performs the requests. No entry: no network.',
        })
        .optional(),
    })
    .meta({ description: "What the step may reach outside its sandbox (deny by default)." })
    .optional(),
  secrets: z
    .array(z.string())
    .meta({
      description:
        "Names of secrets the engine was given, passed to the step as environment variables and masked as *** in its logs, outputs and errors.",
    })
    .optional(),
};

/** One step as written in a workflow file. */
export const stepSpecSchema = z.strictObject({
  ...stepSettings,
  code: z.string().meta({ description: "The step's source code." }).optional(),
  file: z
    .string()
    .meta({ description: "Path of the step's source, relative to the workflow file and inside its folder." })
    .optional(),
  module: z
    .string()
    .meta({
      description:
        "wasm steps: the .wasm file, relative to the workflow file and inside its folder (or a data:application/wasm;base64 URL).",
    })
    .optional(),
  func: z
    .string()
    .meta({
      description:
        "wasm steps: the exported function to call; without it the module is a WASI command (_start).",
    })
    .optional(),
  input: z
    .int()
    .min(-2147483648)
    .max(2147483647)
    .meta({ description: "wasm steps: the i32 passed to 'func' when it takes one argument (default 0)." })
    .optional(),
  args: z
    .array(z.string())
    .meta({ description: "WASI command steps: the arguments after the program name." })
    .optional(),
  depends_on: z
    .array(z.string())
    .meta({ description: "Ids of the steps whose outputs this step takes as inputs." })
    .optional(),
  description: z.string().optional(),
});

/** Workflow-wide defaults for step settings. */
export const stepDefaultsSchema = z.strictObject(stepSettings);

/** Event names: what `sandflow emit NAME` and `POST /api/events/{name}` send. */
export const EVENT_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

const eventTriggerSchema = z.strictObject({
  event: z
    .string()
    .regex(EVENT_NAME_PATTERN, "an event name is 1-128 letters, digits, '.', '_', ':' or '-'")
    .meta({ description: "Start a run when this event is emitted; its data is the run's `event` param." }),
});

/** A workflow as written in a file (before normalisation). */
export const workflowSpecSchema = z
  .strictObject({
    name: z.string().min(1).optional(),
    description: z.string().optional(),
    defaults: stepDefaultsSchema.optional(),
    concurrency: z.int().min(1).max(10_000).meta({ description: "Most steps running at once." }).optional(),
    steps: z.record(z.string(), stepSpecSchema).meta({ description: "The steps, keyed by step id." }),
    on: z
      .union([eventTriggerSchema, z.array(eventTriggerSchema).min(1)])
      .meta({
        description:
          "Events that start a run of this workflow on a server that registered it (--workflows DIR).",
      })
      .optional(),
    schedule: z
      .string()
      .min(1)
      .meta({
        description:
          'A cron expression: 5 fields ("min hour day month weekday") or 6 (seconds first); a server that registered the workflow (--workflows DIR) starts a run at each fire time.',
      })
      .optional(),
    timezone: z
      .string()
      .min(1)
      .meta({ description: 'The IANA time zone of `schedule` (e.g. "Europe/Paris"). Default: UTC.' })
      .optional(),
  })
  .meta({
    title: "sandflow workflow",
    description: "A DAG of Python, Lua, shell, JavaScript and WebAssembly steps.",
  });

/** A step as written in a workflow file. */
export type StepSpec = z.input<typeof stepSpecSchema>;
/** Workflow-wide step defaults as written in a workflow file. */
export type StepDefaults = z.input<typeof stepDefaultsSchema>;
/** A workflow as written in a file or passed to `defineWorkflow`. */
export type WorkflowSpec = z.input<typeof workflowSpecSchema>;

/** The JSON Schema (draft 2020-12) of workflow files, generated from {@link workflowSpecSchema}. */
export function workflowJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(workflowSpecSchema, { target: "draft-2020-12" }) as Record<string, unknown>;
}
