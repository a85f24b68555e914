/**
 * The workflow file format as one zod schema: the single source of truth for the Lua,
 * YAML, JSON and TypeScript forms, and for the JSON Schema shipped for editors.
 * Field names follow the hybrid engines' Lua format (`depends_on`, `retry_delay`, ...).
 */
import { z } from "zod";
import { DURATION_PATTERN, parseDuration } from "./durable/duration.js";
import { LANGUAGE_ALIASES } from "./languages.js";
import { parseNetGrant } from "./net-grant.js";
import { MAX_DELAY_SECONDS, MAX_RETRY_BACKOFF } from "./timer-range.js";
import { TRIGGER_RULES } from "./trigger-rules.js";

const atMostDelay = {
  message: `must be at most ${MAX_DELAY_SECONDS} seconds (about 24.8 days, the range of timers)`,
};

/** Step ids: a letter or `_` first, then letters, digits, `_`, `-` or `.`; at most 128 characters. */
export const STEP_ID_PATTERN = /^[A-Za-z_][A-Za-z0-9_.-]{0,127}$/;

const languageName = z.enum(Object.keys(LANGUAGE_ALIASES) as [string, ...string[]]).meta({
  description:
    "Step language: python, lua, shell, javascript or wasm (sh and bash are aliases of shell, js of javascript).",
});

const SECONDS_OR_DURATION = 'must be seconds (a number) or a duration such as "30s", "250ms" or "1h30m"';

/**
 * Seconds as a number, or a duration text as `sleep` takes (`"30s"`, `"250ms"`, `"1h30m"`);
 * `positive`: zero is refused. {@link secondsOf} reads either.
 */
function seconds(positive: boolean, description: string) {
  const number = (positive ? z.number().positive() : z.number().min(0)).max(MAX_DELAY_SECONDS, atMostDelay);
  // The refinements pass a text that is no duration: the pattern's message says what is wrong.
  const text = z
    .string()
    .regex(DURATION_PATTERN, {
      error: (issue) => `${SECONDS_OR_DURATION}, got the string ${JSON.stringify(issue.input)}`,
    })
    .refine((t) => !positive || (parseDuration(t) ?? 1) > 0, { message: "must be above 0" })
    .refine((t) => (parseDuration(t) ?? 0) <= MAX_DELAY_SECONDS * 1000, atMostDelay);
  return z
    .union([number, text], {
      error: (issue) => (issue.code === "invalid_union" ? SECONDS_OR_DURATION : undefined),
    })
    .meta({ description })
    .optional();
}

/** The seconds of a field that {@link seconds} checked. */
export function secondsOf(value: number | string | undefined): number | undefined {
  return typeof value === "string" ? (parseDuration(value) ?? 0) / 1000 : value;
}

/** Fields a step may set and `defaults` may give for every step. */
const stepSettings = {
  language: languageName.optional(),
  timeout: seconds(true, 'Seconds before the step is stopped, or a duration such as "30s" or "5m".'),
  retries: z.int().min(0).max(100).meta({ description: "Extra attempts after a failure." }).optional(),
  retry_delay: seconds(
    false,
    'Seconds to wait before the first retry, or a duration such as "500ms" or "1m".',
  ),
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
/** Event names: what `sandflow emit NAME` and `POST /api/events/{name}` send. */
/** A step's or a run's priority: -1000..1000. */
const priority = (description: string) => z.int().min(-1000).max(1000).meta({ description });

export const EVENT_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

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
  when: z
    .string()
    .meta({
      description:
        "A CEL condition over `params` and `inputs`: when false, the step is skipped (ConditionFalseError).",
    })
    .optional(),
  for_each: z
    .string()
    .meta({
      description:
        "A CEL list over `params` and `inputs`: the step runs once per item (sandflow.item and sandflow.index; $SANDFLOW_ITEM and $SANDFLOW_INDEX in shell); its output is the list of the item outputs.",
    })
    .optional(),
  max_parallel: z
    .int()
    .min(1)
    .max(10_000)
    .meta({ description: "for_each steps: most items running at once (default: the run's concurrency)." })
    .optional(),
  repeat: z
    .strictObject({
      until: z.string().meta({
        description:
          "A CEL condition over `output` (this iteration's), `inputs` and `params`: true ends the loop.",
      }),
      max: z
        .int()
        .min(1)
        .max(10_000)
        .meta({ description: "Most iterations; then the step fails (LoopLimitError)." }),
    })
    .meta({
      description:
        "Run the step again, seeing its last output as inputs.previous, until `until` is true or `max` iterations ran.",
    })
    .optional(),
  compensate: z
    .union([
      z.string(),
      z.strictObject({
        language: languageName,
        code: z.string().meta({ description: "The compensation's code." }),
      }),
    ])
    .meta({
      description:
        "Saga compensation: code (in the step's language, or { language, code }) run when the run fails and this step had succeeded, in reverse order of finish, seeing the step's output as inputs.output.",
    })
    .optional(),
  sleep: z
    .union([
      z.string().regex(DURATION_PATTERN, 'a duration such as "30s", "5m", "2h" or "1h30m"'),
      z.strictObject({ until: z.string().meta({ description: "An RFC 3339 time." }) }),
    ])
    .meta({
      description:
        'A step that runs no code and waits: a duration ("30s", "5m", "2h") counted from its first start, or { until: <RFC 3339 time> }. No worker is held; the wake time survives an interrupt and resume.',
    })
    .optional(),
  until: z
    .string()
    .meta({
      description: "A step that runs no code and waits until this RFC 3339 time (as sleep: { until }).",
    })
    .optional(),
  wait_for: z
    .strictObject({
      signal: z
        .string()
        .regex(EVENT_NAME_PATTERN, "a signal name is 1-128 letters, digits, '.', '_', ':' or '-'")
        .meta({
          description: "The signal's name (sandflow signal RUN NAME, POST /api/runs/{id}/signals/{name}).",
        }),
      timeout: z
        .string()
        .regex(DURATION_PATTERN, 'a duration such as "30s", "5m" or "2h"')
        .meta({
          description: "Fail with SignalTimeoutError when no signal came this long after the step started.",
        })
        .optional(),
    })
    .meta({
      description:
        "A step that runs no code and waits for a signal sent to the run; its output is the signal's data. A signal sent before the step waits is kept for it.",
    })
    .optional(),
  approval: z
    .union([
      z.literal(true),
      z.strictObject({
        timeout: z
          .string()
          .regex(DURATION_PATTERN, 'a duration such as "30s", "5m" or "2h"')
          .meta({
            description:
              "Fail with SignalTimeoutError when no decision came this long after the step started.",
          })
          .optional(),
      }),
    ])
    .meta({
      description:
        'A step that waits for the signal "approval" with data {approved, by?, comment?}; not approved fails it (ApprovalDeniedError).',
    })
    .optional(),
  workflow: z
    .string()
    .min(1)
    .meta({
      description:
        "A step that runs another workflow file (a path inside this workflow's folder, any format) as a run of its own, linked to this one (parentRun in its report): the step's output is an object of the outputs of the child's leaf steps, keyed by step id; the child's failure fails the step. At most 8 levels deep.",
    })
    .optional(),
  params: z
    .record(z.string(), z.string())
    .meta({
      description:
        "With workflow: the child's params by name, each a CEL expression evaluated in this run over params and inputs (and item, index in a for_each step).",
    })
    .optional(),
  priority: priority(
    "Higher first when steps compete for the run's concurrency slots or the engine's workers (default 0).",
  ).optional(),
  rate_limit_key: z
    .string()
    .min(1)
    .max(128)
    .meta({
      description:
        "Starts of this step's attempts count against the engine's rate limit of this key (engine option rateLimits, such as { api: \"10/s\" }); they wait, holding no worker.",
    })
    .optional(),
  trigger_rule: z
    .enum(TRIGGER_RULES)
    .meta({
      description:
        "When the step runs, given how its dependencies ended: all_success (default), all_done, all_failed, one_failed, one_success or none_failed.",
    })
    .optional(),
  description: z.string().optional(),
});

/** The types a run param may have. */
export const PARAM_TYPES = ["string", "number", "integer", "boolean", "object", "array"] as const;

/** Param names: a letter or `_` first, then letters, digits or `_` (a shell variable and a CEL name). */
export const PARAM_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/** One run param as declared in a workflow file. */
export const paramSpecSchema = z.strictObject({
  type: z.enum(PARAM_TYPES).meta({ description: "string, number, integer, boolean, object or array." }),
  default: z
    .unknown()
    .meta({ description: "The value when the run gives none; without one, the run must give it." })
    .optional(),
  description: z.string().optional(),
});

/** Workflow-wide defaults for step settings. */
export const stepDefaultsSchema = z.strictObject(stepSettings);

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
    priority: priority(
      "The run's priority: its steps go first when the steps of several runs compete for the engine's workers (default 0).",
    ).optional(),
    concurrency_key: z
      .string()
      .min(1)
      .max(128)
      .meta({
        description:
          "Runs with the same key are limited to max_runs at once, across the processes sharing a store; the others queue.",
      })
      .optional(),
    max_runs: z
      .int()
      .min(1)
      .max(10_000)
      .meta({ description: "With concurrency_key: most runs with that key at once (default 1)." })
      .optional(),
    params: z
      .record(z.string(), paramSpecSchema)
      .meta({
        description:
          "Run params by name: `sandflow run --param name=value`; steps see them as sandflow.params (Python, Lua, JavaScript) or $SANDFLOW_PARAMS and `param NAME` (shell).",
      })
      .optional(),
    steps: z.record(z.string(), stepSpecSchema).meta({ description: "The steps, keyed by step id." }),
    workflows: z
      .record(z.string(), z.record(z.string(), z.unknown()))
      .meta({
        description:
          "Sub-workflows written inline, keyed by the path a step's `workflow` field names (from this workflow's folder): a step's `workflow` is looked up here before any file is read. Each is a workflow with the fields of this format (without `workflows`).",
      })
      .optional(),
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
/** A run param as declared in a workflow file. */
export type ParamSpec = z.input<typeof paramSpecSchema>;
/** A workflow as written in a file or passed to `defineWorkflow`. */
export type WorkflowSpec = z.input<typeof workflowSpecSchema>;

/** The JSON Schema (draft 2020-12) of workflow files, generated from {@link workflowSpecSchema}. */
export function workflowJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(workflowSpecSchema, { target: "draft-2020-12" }) as Record<string, unknown>;
}
