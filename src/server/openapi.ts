/** The OpenAPI 3.1 document of the server's API, generated from the zod schemas in api-schemas.ts. */
import { z } from "zod";
import { RUN_LIST_STATUSES } from "../core/durable/stored-run.js";
import { API_SCHEMAS } from "./api-schemas.js";

type SchemaName = keyof typeof API_SCHEMAS;

const ref = (name: SchemaName) => ({ $ref: `#/components/schemas/${name}` });
const json = (name: SchemaName, description: string) => ({
  description,
  content: { "application/json": { schema: ref(name) } },
});
const ERRORS = {
  "401": json("Error", "Missing or wrong bearer token (when the server has a token)"),
  "404": json("Error", "No such run (or the id prefix names several)"),
};
const RUN_ID = {
  name: "id",
  in: "path",
  required: true,
  description: "A run id, or a unique prefix of one",
  schema: { type: "string" },
};

/** The OpenAPI document, with every schema in `components.schemas`. */
export function openApiDocument(version: string): Record<string, unknown> {
  const schemas: Record<string, unknown> = {};
  for (const [name, schema] of Object.entries(API_SCHEMAS)) {
    const { $schema: _drop, ...body } = z.toJSONSchema(schema, { target: "draft-2020-12", io: "input" });
    schemas[name] = body;
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "sandflow server",
      version,
      description:
        "Runs sandboxed workflows on a warm engine. With a token, every request needs `Authorization: Bearer <token>`.",
    },
    components: { schemas, securitySchemes: { bearer: { type: "http", scheme: "bearer" } } },
    security: [{ bearer: [] }, {}],
    paths: {
      "/api/runs": {
        post: {
          summary: "Start a run",
          requestBody: { required: true, content: { "application/json": { schema: ref("SubmitRun") } } },
          responses: {
            "201": json("RunId", "The run started"),
            "400": json("Error", "Invalid request or workflow (issues list each problem); nothing runs"),
            "401": ERRORS["401"],
            "413": json("Error", "The request body is too large"),
          },
        },
        get: {
          summary: "Recent runs, newest first",
          parameters: [
            {
              name: "status",
              in: "query",
              schema: { type: "string", enum: [...RUN_LIST_STATUSES] },
            },
            {
              name: "limit",
              in: "query",
              schema: { type: "integer", minimum: 1, maximum: 1000, default: 20 },
            },
          ],
          responses: {
            "200": json("RunsList", "The runs"),
            "400": json("Error", "Bad query"),
            "401": ERRORS["401"],
          },
        },
      },
      "/api/runs/{id}": {
        get: {
          summary: "A run's report (as `sandflow run --json` prints it; also of an unfinished run)",
          parameters: [RUN_ID],
          responses: { "200": json("RunReport", "The report"), ...ERRORS },
        },
        delete: {
          summary:
            "Delete a finished run with its journal, signals and the stored files only it named (as `sandflow delete`)",
          parameters: [RUN_ID],
          responses: {
            "200": json("Deleted", "Deleted"),
            "409": json(
              "Error",
              "The run has not finished, or it is a sub-workflow run whose parent has not",
            ),
            ...ERRORS,
          },
        },
      },
      "/api/runs/{id}/workflow": {
        get: {
          summary: "The run's workflow: its steps, their languages, code and dependencies",
          parameters: [RUN_ID],
          responses: { "200": json("RunWorkflow", "The workflow"), ...ERRORS },
        },
      },
      "/api/runs/{id}/events": {
        get: {
          summary: "The run's events as Server-Sent Events",
          description:
            "One SSE event per engine event: `event:` its type, `data:` the event as JSON, `id:` its sequence number in the run. Reconnect with `Last-Event-ID` to get only what was missed. The stream ends after `run-finished`.",
          parameters: [
            RUN_ID,
            { name: "Last-Event-ID", in: "header", schema: { type: "integer", minimum: 0 } },
          ],
          responses: {
            "200": {
              description: "The event stream",
              content: { "text/event-stream": { schema: { type: "string" } } },
            },
            ...ERRORS,
          },
        },
      },
      "/api/runs/{id}/cancel": {
        post: {
          summary: "Cancel a running run",
          parameters: [RUN_ID],
          responses: {
            "202": json("Cancelled", "Cancelling"),
            "409": json("Error", "The run is not running on this server"),
            ...ERRORS,
          },
        },
      },
      "/api/runs/{id}/rerun": {
        post: {
          summary: "A new run of the run's workflow keeping the results of the steps that need not run again",
          parameters: [RUN_ID],
          requestBody: { content: { "application/json": { schema: ref("Rerun") } } },
          responses: {
            "201": json("RunId", "The new run started"),
            "400": json("Error", "Bad body"),
            "409": json("Error", "The run is still running, or `from` names no step"),
            ...ERRORS,
          },
        },
      },
      "/api/runs/{id}/resume": {
        post: {
          summary: "Continue an interrupted run (its process died)",
          parameters: [RUN_ID],
          responses: {
            "202": json("RunId", "The run continues"),
            "409": json("Error", "The run is not interrupted"),
            ...ERRORS,
          },
        },
      },
      "/api/runs/{id}/signals/{name}": {
        post: {
          summary: "Send a signal to a run that has not finished (a wait_for or approval step takes it)",
          parameters: [
            RUN_ID,
            {
              name: "name",
              in: "path",
              required: true,
              description: "The signal's name",
              schema: { type: "string" },
            },
            {
              name: "id",
              in: "query",
              description:
                "The signal's id (or the Idempotency-Key header): the same id again changes nothing",
              schema: { type: "string" },
            },
          ],
          requestBody: {
            required: false,
            description: 'The signal\'s data, any JSON (an approval\'s is {"approved", "by"?, "comment"?})',
            content: { "application/json": { schema: {} } },
          },
          responses: {
            "202": json("SignalSent", "Kept for the run"),
            "200": json("SignalSent", "This id was sent before: nothing changed"),
            "400": json("Error", "A bad name, id or data"),
            "401": ERRORS["401"],
            "404": ERRORS["404"],
            "409": json("Error", "The run has finished"),
          },
        },
      },
      "/api/events/{name}": {
        post: {
          summary: "Emit an event: start one run of each registered workflow whose `on` names it",
          parameters: [
            {
              name: "name",
              in: "path",
              required: true,
              description: "The event's name",
              schema: { type: "string" },
            },
          ],
          requestBody: { required: false, content: { "application/json": { schema: ref("EmitEvent") } } },
          responses: {
            "200": json(
              "EventAnswer",
              "The runs it started (or, for an id delivered before, the runs of that delivery)",
            ),
            "400": json("Error", "Invalid request, or the server registered no workflows folder"),
            "401": ERRORS["401"],
          },
        },
      },
      "/api/workflows": {
        get: {
          summary: "The workflows registered from the server's --workflows folder, and the files skipped",
          responses: { "200": json("WorkflowsList", "The registered workflows"), "401": ERRORS["401"] },
        },
      },
      "/api/schedules": {
        get: {
          summary: "The cron schedules of the registered workflows and their next fire times",
          parameters: [
            {
              name: "count",
              in: "query",
              description: "Next fire times per schedule (1-100, default 3)",
              schema: { type: "integer" },
            },
          ],
          responses: { "200": json("SchedulesList", "The schedules"), "401": ERRORS["401"] },
        },
      },
      "/api/openapi.json": {
        get: { summary: "This document", responses: { "200": { description: "OpenAPI 3.1" } } },
      },
    },
  };
}
