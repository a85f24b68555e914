/**
 * The server's HTTP app on Hono (Web-standard Request/Response, so it runs on any
 * platform; the Node listener is in node-server.ts): the JSON API under /api, the
 * dashboard's files elsewhere.
 */
import { type Context, Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { z } from "zod";
import { deleteRun, loadRun, resolveRunId } from "../core/durable/stored-run.js";
import type { Engine } from "../core/engine.js";
import { kindOf } from "../core/graph-render.js";
import { EVENT_NAME_PATTERN } from "../core/schema.js";
import { choiceText, formatPath } from "../core/validate.js";
import type { WorkflowDefinition } from "../core/workflow.js";
import { emitEventSchema, rerunSchema, runsQuerySchema, schedulesQuerySchema } from "./api-schemas.js";
import { constantTimeEqual, errorAnswer, HttpError } from "./errors.js";
import { EventLogs } from "./event-log.js";
import { followStoredRun, lastEventId, streamLog } from "./event-stream.js";
import { EventTriggers } from "./event-triggers.js";
import { openApiDocument } from "./openapi.js";
import { readRunRequest, startTracked } from "./run-requests.js";
import { ScheduleRunner } from "./schedule-runner.js";
import type { WorkflowSource } from "./workflow-registry.js";

/** What the app is built on. */
export interface ApiHost {
  readonly engine: Engine;
  /** Every /api request must carry `Authorization: Bearer <token>` when set. */
  readonly token?: string | undefined;
  /** Largest request body, in bytes. */
  readonly maxBodyBytes: number;
  /**
   * Reads the code of a submitted workflow's `file` steps from a folder the server allows;
   * without it, workflows naming files are refused.
   */
  readonly readStepFiles?: ((workflow: WorkflowDefinition) => Promise<WorkflowDefinition>) | undefined;
  /** The dashboard's files: the answer for a path outside /api, or undefined (404). */
  readonly assets?: ((path: string) => Promise<Response | undefined>) | undefined;
  /** Whether the server answers to a `Host` name (DNS-rebinding guard); undefined accepts any. */
  readonly allowHost?: ((name: string) => boolean) | undefined;
  /** The workflows registered from a folder (their events and schedules start runs); default: none. */
  readonly workflows?: { readonly folder: string; readonly source: WorkflowSource } | undefined;
  /** Says what the server did on its own (a schedule fired, an event started runs). */
  readonly notice?: ((message: string) => void) | undefined;
  readonly version: string;
  readonly now: () => number;
}

/** The app and the logs of the runs it started. */
export interface Api {
  readonly app: Hono;
  readonly logs: EventLogs;
  /** Stops the schedules. */
  close(): void;
}

/** The methods the API's own routes (not the catch-alls) answer on `path`. */
function methodsOf(app: Hono, path: string): string[] {
  const methods = new Set<string>();
  for (const route of app.routes) {
    if (route.method === "ALL" || !route.path.startsWith("/api/") || route.path.includes("*")) continue;
    const pattern = new RegExp(
      `^${route.path.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/:[^/]+/g, "[^/]+")}/?$`,
    );
    if (pattern.test(path)) methods.add(route.method);
  }
  if (methods.has("GET")) methods.add("HEAD");
  return [...methods].sort();
}

function badQuery(error: z.ZodError, what: string): HttpError {
  const issues = error.issues.map((i) => ({
    path: formatPath(i.path),
    message: i.code === "invalid_value" && i.input !== undefined ? choiceText(i.values, i.input) : i.message,
  }));
  return new HttpError(400, "InvalidRequest", what, issues);
}

function fail(c: Context, e: unknown): Response {
  const { status, body } = errorAnswer(e);
  if (status === 401) c.header("WWW-Authenticate", 'Bearer realm="sandflow"');
  return c.json(body, status);
}

async function jsonBody(c: Context, optional: boolean): Promise<unknown> {
  const text = await c.req.text();
  if (text.trim() === "") {
    if (optional) return {};
    throw new HttpError(400, "InvalidRequest", "the request needs a JSON body");
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new HttpError(400, "InvalidRequest", `the body is not valid JSON: ${(e as Error).message}`);
  }
}

function originHost(origin: string): string | undefined {
  try {
    return new URL(origin).host;
  } catch {
    return undefined;
  }
}

function guard(host: ApiHost, c: Context): void {
  const hostName = (c.req.header("host") ?? "").replace(/:\d+$/, "").replace(/^\[|\]$/g, "");
  if (host.allowHost && !host.allowHost(hostName.toLowerCase()))
    throw new HttpError(403, "Forbidden", `this server does not answer to host '${hostName}'`);
  const origin = c.req.header("origin");
  if (origin && origin !== "null" && originHost(origin) !== c.req.header("host"))
    throw new HttpError(403, "Forbidden", `requests from another origin (${origin}) are refused`);
  if (host.token === undefined) return;
  const auth = c.req.header("authorization") ?? "";
  const given = /^Bearer (.+)$/i.exec(auth)?.[1] ?? "";
  if (!constantTimeEqual(given, host.token))
    throw new HttpError(
      401,
      "Unauthorized",
      "this server needs 'Authorization: Bearer <token>' with its token",
    );
}

/** Builds the app. */
export function createApi(host: ApiHost): Api {
  const { engine } = host;
  const store = engine.store;
  if (!store) throw new TypeError("createApi: the engine needs a store");
  const logs = new EventLogs();
  const app = new Hono();
  const ctx = { engine, store, logs, readStepFiles: host.readStepFiles };

  app.onError((e, c) => fail(c, e));
  app.use("/api/*", async (c, next) => {
    c.header("Cache-Control", "no-store");
    c.header("X-Content-Type-Options", "nosniff");
    guard(host, c);
    await next();
  });
  app.use(
    "/api/*",
    bodyLimit({
      maxSize: host.maxBodyBytes,
      onError: (c) =>
        c.json(
          {
            error: {
              name: "PayloadTooLarge",
              message: `request bodies are limited to ${host.maxBodyBytes} bytes`,
            },
          },
          413,
        ),
    }),
  );

  app.get("/api/openapi.json", (c) => c.json(openApiDocument(host.version)));

  const notice = host.notice ?? (() => {});
  const registered = host.workflows;
  const startFor = async (
    workflow: WorkflowDefinition,
    why: string,
    params?: Record<string, unknown>,
  ): Promise<string> => {
    const runId = await startTracked(ctx, engine.start(workflow, params ? { params } : {}));
    notice(`started run ${runId} of ${workflow.name}: ${why}`);
    return runId;
  };
  const schedules = registered
    ? new ScheduleRunner(registered.source, { store, start: startFor, now: host.now, notice })
    : undefined;
  const events = registered
    ? new EventTriggers(registered.source, {
        store,
        start: (workflow, event, why) => startFor(workflow, why, { event: event ?? {} }),
        now: host.now,
        newId: () => crypto.randomUUID(),
      })
    : undefined;

  app.get("/api/workflows", (c) =>
    c.json({
      folder: registered?.folder ?? null,
      workflows: (registered?.source.list() ?? []).map(({ file, workflow }) => ({
        file,
        name: workflow.name,
        description: workflow.description ?? null,
        steps: workflow.steps.length,
        events: [...(workflow.events ?? [])],
        schedule: workflow.schedule
          ? { cron: workflow.schedule.cron, timezone: workflow.schedule.timezone ?? "UTC" }
          : null,
      })),
      problems: [...(registered?.source.problems() ?? [])],
    }),
  );

  app.get("/api/schedules", (c) => {
    const parsed = schedulesQuerySchema.safeParse(c.req.query(), { reportInput: true });
    if (!parsed.success) throw badQuery(parsed.error, "bad query");
    return c.json({ schedules: schedules?.list(parsed.data.count ?? 3) ?? [] });
  });

  app.post("/api/events/:name", async (c) => {
    const name = c.req.param("name");
    if (!EVENT_NAME_PATTERN.test(name))
      throw new HttpError(400, "InvalidRequest", `bad event name ${JSON.stringify(name)}`, [
        { path: "name", message: "an event name is 1-128 letters, digits, '.', '_', ':' or '-'" },
      ]);
    const parsed = emitEventSchema.safeParse(await jsonBody(c, true));
    if (!parsed.success) throw badQuery(parsed.error, "the request must be { id?: string, data?: any }");
    if (!events)
      throw new HttpError(
        400,
        "NoWorkflows",
        "this server registered no workflows, so no workflow listens to events: start it with --workflows DIR",
      );
    return c.json(await events.emit(name, parsed.data.id, parsed.data.data));
  });

  app.post("/api/runs", async (c) => {
    const { workflow, params } = await readRunRequest(await jsonBody(c, false), ctx);
    const runId = await startTracked(ctx, engine.start(workflow, { params }));
    return c.json({ runId }, 201);
  });

  app.get("/api/runs", async (c) => {
    const parsed = runsQuerySchema.safeParse(c.req.query(), { reportInput: true });
    if (!parsed.success) throw badQuery(parsed.error, "bad query");
    const { status, limit } = parsed.data;
    return c.json({ runs: await engine.runs({ limit: limit ?? 20, ...(status ? { status } : {}) }) });
  });

  app.get("/api/runs/:id", async (c) => c.json(await engine.report(c.req.param("id"))));

  app.get("/api/runs/:id/workflow", async (c) => {
    const run = await loadRun(store, c.req.param("id"));
    const { name, steps } = run.record.workflow;
    return c.json({
      name,
      ...(run.record.parentRun !== undefined ? { parentRun: run.record.parentRun } : {}),
      steps: steps.map((s) => ({
        id: s.id,
        language: kindOf(s),
        dependsOn: [...s.dependsOn],
        code: s.code ?? null,
        ...(s.when !== undefined ? { when: s.when } : {}),
        ...(s.forEach !== undefined ? { forEach: s.forEach } : {}),
        ...(s.triggerRule !== undefined ? { triggerRule: s.triggerRule } : {}),
        ...(s.subworkflow !== undefined ? { workflow: s.subworkflow.path } : {}),
      })),
    });
  });

  app.get("/api/runs/:id/events", async (c) => {
    const after = lastEventId(c);
    const runId = await resolveRunId(store, c.req.param("id"));
    const live = logs.get(runId);
    if (live) return streamLog(c, live, after);
    const followed = await followStoredRun(store, runId, host.now);
    return streamLog(c, followed.log, after, followed.stop);
  });

  app.post("/api/runs/:id/cancel", async (c) => {
    const runId = await resolveRunId(store, c.req.param("id"));
    const handle = logs.get(runId)?.handle;
    if (handle) {
      handle.cancel();
      return c.json({ runId, status: "cancelling" }, 202);
    }
    const run = await store.getRun(runId);
    const why =
      run?.status === "running"
        ? `run ${runId} is running in another process (${run.owner ?? "unknown"}); cancel it there`
        : `run ${runId} is not running (it is ${run?.status ?? "gone"})`;
    throw new HttpError(409, "RunStateError", why);
  });

  app.delete("/api/runs/:id", async (c) => {
    const runId = await deleteRun(store, c.req.param("id"));
    logs.forget(runId);
    return c.json({ runId, deleted: true });
  });

  app.post("/api/runs/:id/rerun", async (c) => {
    const parsed = rerunSchema.safeParse(await jsonBody(c, true));
    if (!parsed.success) throw badQuery(parsed.error, "bad rerun request");
    const from = parsed.data.from;
    const handle = await engine.rerun(c.req.param("id"), from !== undefined ? { from } : {});
    return c.json({ runId: await startTracked(ctx, handle) }, 201);
  });

  app.post("/api/runs/:id/signals/:name", async (c) => {
    const text = await c.req.text();
    let data: unknown = null;
    try {
      if (text.trim() !== "") data = JSON.parse(text);
    } catch (e) {
      throw new HttpError(
        400,
        "InvalidRequest",
        `the body (the signal's data) is not valid JSON: ${(e as Error).message}`,
      );
    }
    const id = c.req.query("id") ?? c.req.header("idempotency-key");
    const sent = await engine.signal(c.req.param("id"), c.req.param("name"), data, id ? { id } : {});
    return c.json(sent, sent.delivered ? 202 : 200);
  });

  app.post("/api/runs/:id/resume", async (c) => {
    const runId = await resolveRunId(store, c.req.param("id"));
    const before = await store.getRun(runId);
    const handle = await engine.resume(runId);
    return c.json({ runId: await startTracked(ctx, handle, before) }, 202);
  });

  app.all("/api/*", (c) => {
    const allow = methodsOf(app, c.req.path);
    if (allow.length === 0)
      throw new HttpError(404, "NotFound", "no such API endpoint; see GET /api/openapi.json");
    c.header("Allow", allow.join(", "));
    throw new HttpError(
      405,
      "MethodNotAllowed",
      `${c.req.method} is not allowed on ${c.req.path}; it takes ${allow.join(", ")}`,
    );
  });

  app.get("*", async (c) => {
    const answer = await host.assets?.(c.req.path);
    return answer ?? c.text("not found", 404);
  });
  return { app, logs, close: () => schedules?.close() };
}
