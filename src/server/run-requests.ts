/** Reading a `POST /api/runs` request into a workflow, and following the runs the server starts. */
import { z } from "zod";
import type { Store, StoredRun } from "../core/durable/store.js";
import type { Engine, RunHandle } from "../core/engine.js";
import { WorkflowValidationError } from "../core/errors.js";
import { resolveParams } from "../core/params.js";
import { formatPath, parseWorkflow } from "../core/validate.js";
import type { WorkflowDefinition } from "../core/workflow.js";
import { submitRunSchema } from "./api-schemas.js";
import { HttpError } from "./errors.js";
import type { EventLogs } from "./event-log.js";
import { replayEvents } from "./replay-events.js";

/** What requests are served with. */
export interface RunContext {
  readonly engine: Engine;
  readonly store: Store;
  readonly logs: EventLogs;
  readonly readStepFiles?: ((workflow: WorkflowDefinition) => Promise<WorkflowDefinition>) | undefined;
}

// The workflow object is validated by parseWorkflow, which names each problem's place.
const requestSchema = submitRunSchema.extend({
  workflow: z.union([z.string(), z.record(z.string(), z.unknown())]),
});

/**
 * The workflow a request asks to run: parsed, validated, its `file` steps read from the
 * allowed folder (or refused).
 * @throws HttpError (400), WorkflowValidationError or WorkflowLoadError.
 */
export async function readRunRequest(
  body: unknown,
  ctx: RunContext,
): Promise<{ workflow: WorkflowDefinition; params: Record<string, unknown> }> {
  const parsed = requestSchema.safeParse(body);
  if (!parsed.success)
    throw new HttpError(
      400,
      "InvalidRequest",
      "the request must be { workflow: <text or object>, format?: lua|yaml|json, params?: { name: value } }",
      parsed.error.issues.map((i) => ({ path: formatPath(i.path), message: i.message })),
    );
  const { workflow: given, format } = parsed.data;
  const params = parsed.data.params ?? {};
  let workflow: WorkflowDefinition;
  if (typeof given === "string") workflow = await ctx.engine.parse(given, format ? { format } : {});
  else {
    const result = parseWorkflow(given);
    if (!result.ok) throw result.error;
    workflow = result.value;
  }
  // A `file` step, or a wasm step whose `module` is a path (an inline data: module has its code).
  const onDisk = workflow.steps.filter(
    (s) => s.file !== undefined || (s.language === "wasm" && s.code === undefined),
  );
  // Checked now: bad params are the request's fault (400), found before anything is read or run.
  const checked = resolveParams(workflow, params);
  if (!checked.ok) throw checked.error;
  if (onDisk.length === 0) return { workflow, params };
  if (!ctx.readStepFiles)
    throw new WorkflowValidationError(
      onDisk.map((s) => {
        const field = s.file !== undefined ? "file" : "module";
        return {
          path: `steps.${s.id}.${field}`,
          message: `${JSON.stringify(s.file ?? s.module)}: a workflow sent to the server may not read files on its disk; put the code inline (sandflow run --server does), or start the server with --workflows DIR`,
        };
      }),
    );
  return { workflow: await ctx.readStepFiles(workflow), params };
}

/**
 * Follows `handle` in the server's logs and resolves with its id once it is recorded in the
 * store, so a `GET` right after the answer finds it.
 * `before` is the stored run a resumed run continues: its events so far start the log.
 */
export async function startTracked(ctx: RunContext, handle: RunHandle, before?: StoredRun): Promise<string> {
  const seed = before ? replayEvents(before, Date.now()).filter((e) => e.type !== "run-finished") : [];
  ctx.logs.track(handle, seed);
  await handle.recorded;
  return handle.runId;
}
