/**
 * The server's HTTP app on Hono (Web-standard Request/Response, so it runs on any
 * platform; the Node listener is in node-server.ts): the JSON API under /api, the
 * dashboard's files elsewhere.
 */
import { type Context, Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { loadRun, resolveRunId } from "../core/durable/stored-run.js";
import type { Engine } from "../core/engine.js";
import { formatPath } from "../core/validate.js";
import type { WorkflowDefinition } from "../core/workflow.js";
import { rerunSchema, runsQuerySchema } from "./api-schemas.js";
import { constantTimeEqual, errorAnswer, HttpError } from "./errors.js";
import { EventLogs } from "./event-log.js";
import { followStoredRun, lastEventId, streamLog } from "./event-stream.js";
import { openApiDocument } from "./openapi.js";
import { readRunRequest, startTracked } from "./run-requests.js";

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
  readonly version: string;
  readonly now: () => number;
}

/** The app and the logs of the runs it started. */
export interface Api {
  readonly app: Hono;
  readonly logs: EventLogs;
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

  app.post("/api/runs", async (c) => {
    const { workflow, params } = await readRunRequest(await jsonBody(c, false), ctx);
    const runId = await startTracked(ctx, engine.start(workflow, { params }));
    return c.json({ runId }, 201);
  });

  app.get("/api/runs", async (c) => {
    const parsed = runsQuerySchema.safeParse(c.req.query());
    if (!parsed.success)
      throw new HttpError(
        400,
        "InvalidRequest",
        "bad query",
        parsed.error.issues.map((i) => ({ path: formatPath(i.path), message: i.message })),
      );
    const { status, limit } = parsed.data;
    return c.json({ runs: await engine.runs({ limit: limit ?? 20, ...(status ? { status } : {}) }) });
  });

  app.get("/api/runs/:id", async (c) => c.json(await engine.report(c.req.param("id"))));

  app.get("/api/runs/:id/workflow", async (c) => {
    const run = await loadRun(store, c.req.param("id"));
    const { name, steps } = run.record.workflow;
    return c.json({
      name,
      steps: steps.map((s) => ({
        id: s.id,
        language: s.language,
        dependsOn: [...s.dependsOn],
        code: s.code ?? null,
        ...(s.when !== undefined ? { when: s.when } : {}),
        ...(s.forEach !== undefined ? { forEach: s.forEach } : {}),
        ...(s.triggerRule !== undefined ? { triggerRule: s.triggerRule } : {}),
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

  app.post("/api/runs/:id/rerun", async (c) => {
    const parsed = rerunSchema.safeParse(await jsonBody(c, true));
    if (!parsed.success)
      throw new HttpError(
        400,
        "InvalidRequest",
        "bad rerun request",
        parsed.error.issues.map((i) => ({ path: formatPath(i.path), message: i.message })),
      );
    const from = parsed.data.from;
    const handle = await engine.rerun(c.req.param("id"), from !== undefined ? { from } : {});
    return c.json({ runId: await startTracked(ctx, handle) }, 201);
  });

  app.post("/api/runs/:id/resume", async (c) => {
    const runId = await resolveRunId(store, c.req.param("id"));
    const before = await store.getRun(runId);
    const handle = await engine.resume(runId);
    return c.json({ runId: await startTracked(ctx, handle, before) }, 202);
  });

  app.all("/api/*", () => {
    throw new HttpError(404, "NotFound", "no such API endpoint; see GET /api/openapi.json");
  });

  app.get("*", async (c) => {
    const answer = await host.assets?.(c.req.path);
    return answer ?? c.text("not found", 404);
  });
  return { app, logs };
}
