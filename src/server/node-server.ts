/**
 * `sandflow serve` in Node: one warm engine on the SQLite store behind the API app,
 * listening with @hono/node-server; the dashboard's built files served from dist-dashboard/.
 */
import { readFile, stat } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { extname, join, normalize, resolve, sep } from "node:path";
import { serve } from "@hono/node-server";
import { storedReport } from "../core/durable/stored-run.js";
import type { Engine } from "../core/engine.js";
import { onlyWaits } from "../core/waiting-status.js";
import { createEngine, type NodeEngineOptions } from "../node/create-engine.js";
import { PACKAGE_ROOT } from "../node/package-paths.js";
import { isPostgresUrl } from "../node/postgres-url.js";
import type { RemoteStepPoolOptions } from "../node/remote-step-pool.js";
import { RunAdopter } from "../node/run-adopter.js";
import { defaultStorePath } from "../node/sandflow-home.js";
import { SqliteStore } from "../node/sqlite-store.js";
import { readStepFiles } from "../node/workflow-file.js";
import { createApi } from "./app.js";
import { checkRetention, RetentionPruner } from "./retention.js";
import { WorkflowRegistry } from "./workflow-registry.js";

/** Options of {@link startServer}; all optional. */
export interface ServeOptions {
  /** Default: 8080; 0 picks a free port. */
  readonly port?: number;
  /** Default: 127.0.0.1. Any other than a loopback address needs a token. */
  readonly host?: string;
  /**
   * The SQLite store file, or a `postgres://` URL: steps then run on `sandflow worker`
   * processes and the server takes over runs whose orchestrator died.
   * Default: `$SANDFLOW_HOME/sandflow.db`.
   */
  readonly store?: string;
  /** With a Postgres store: the step queue and the heartbeat limit. Default: see {@link RemoteStepPoolOptions}. */
  readonly queue?: RemoteStepPoolOptions;
  /** Bearer token every API request must carry. Default: none (loopback only). */
  readonly token?: string;
  /**
   * A folder of workflows: each workflow file at its top is registered (its `on` events
   * and `schedule` start runs; re-read when the folder changes), and submitted workflows
   * may name its files in `file`. Default: none.
   */
  readonly workflows?: string;
  /** Says what the server did on its own (schedules fired, events, files skipped). Default: nothing. */
  readonly onNotice?: (message: string) => void;
  /** Largest request body in bytes. Default: 2 MiB. */
  readonly maxBodyBytes?: number;
  /** The dashboard's files. Default: dist-dashboard/ in the package. */
  readonly dashboardDir?: string;
  /** Options of the engine (threads, limits, isolation). */
  readonly engine?: NodeEngineOptions;
  /**
   * Milliseconds finished runs are kept: older ones are deleted with their journals (and
   * expired cached step results, and stored files nothing else uses) when the server starts
   * and at least hourly after (see {@link RetentionPruner}). Default: kept until `sandflow prune`.
   */
  readonly retentionMs?: number;
}

/** A running server. */
export interface RunningServer {
  /** `http://host:port` */
  readonly url: string;
  readonly engine: Engine;
  /** Cancels the runs in progress, stops listening and closes the engine. */
  close(): Promise<void>;
}

/** The default folder of the dashboard's built files. */
export const DASHBOARD_DIR = join(PACKAGE_ROOT, "dist-dashboard");
const DEFAULT_BODY_BYTES = 2 * 1024 * 1024;
const LOOPBACK_NAMES = ["localhost", "127.0.0.1", "::1"];

/** Whether `host` is a loopback address or name. */
export function isLoopback(host: string): boolean {
  return LOOPBACK_NAMES.includes(host.toLowerCase()) || /^127(\.\d{1,3}){3}$/.test(host);
}

const CONTENT_TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".json": "application/json",
};

/** The dashboard's headers: nothing from another origin, no framing. */
const PAGE_HEADERS = {
  "Content-Security-Policy":
    "default-src 'self'; script-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "no-referrer",
};

function dashboardAssets(dir: string): (path: string) => Promise<Response | undefined> {
  const root = resolve(dir);
  return async (path) => {
    const rel = path === "/" || path === "" ? "index.html" : decodeURIComponent(path).replace(/^\/+/, "");
    const file = normalize(join(root, rel));
    if (!file.startsWith(root + sep)) return undefined;
    try {
      if (!(await stat(file)).isFile()) return undefined;
    } catch {
      if (path !== "/") return undefined;
      return new Response(
        `sandflow serve: the dashboard is not built (no ${join(root, "index.html")}); run 'npm run build:dashboard'. The API is at /api.\n`,
        { status: 404, headers: { "Content-Type": "text/plain; charset=utf-8", ...PAGE_HEADERS } },
      );
    }
    const type = CONTENT_TYPES[extname(file)] ?? "application/octet-stream";
    return new Response(await readFile(file), { headers: { "Content-Type": type, ...PAGE_HEADERS } });
  };
}

/**
 * The runs the SQLite server continues: those that were only waiting. A run found doing
 * other work is not read again every scan (its journal can be long); it waits for `resume`.
 */
function onlyWaitingRuns(engine: Engine): (runId: string) => Promise<boolean> {
  const notWaiting = new Set<string>();
  return async (runId) => {
    if (notWaiting.has(runId)) return false;
    const run = await engine.store?.getRun(runId);
    const waits = run !== undefined && onlyWaits(storedReport(run, Date.now()), run.record.workflow);
    if (!waits) notWaiting.add(runId);
    return waits;
  };
}

/**
 * Starts the server; resolves once it listens.
 * @throws Error when asked to listen beyond loopback without a token, or the store cannot be opened.
 */
export async function startServer(options: ServeOptions = {}): Promise<RunningServer> {
  const host = options.host ?? "127.0.0.1";
  const port = options.port ?? 8080;
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new TypeError(`options.port must be an integer from 0 to 65535, got ${port}`);
  const token = options.token || undefined;
  if (options.retentionMs !== undefined) checkRetention(options.retentionMs);
  if (!isLoopback(host) && !token)
    throw new Error(
      `refusing to listen on ${host} without a token: anyone who can reach it could run code on this machine. Give --token (or SANDFLOW_TOKEN), or listen on 127.0.0.1`,
    );
  // The Postgres client and queue load only for a Postgres store.
  const scaleOut =
    options.store !== undefined && isPostgresUrl(options.store)
      ? await import("../node/scale-out.js")
      : undefined;
  const engine = scaleOut
    ? await scaleOut.createRemoteEngine(options.store as string, {
        ...options.engine,
        ...(options.queue ? { queue: options.queue } : {}),
      })
    : createEngine({ ...options.engine, store: new SqliteStore(options.store ?? defaultStorePath()) });
  // On Postgres a standby takes over every run whose orchestrator died; on SQLite, the runs
  // that were only waiting (sleep, a signal) when their server stopped go on here.
  const adopter = scaleOut
    ? new scaleOut.RunAdopter(engine, 1000, options.onNotice)
    : new RunAdopter(engine, 5000, options.onNotice, onlyWaitingRuns(engine));
  const workflowsDir = options.workflows ? resolve(options.workflows) : undefined;
  const notice = options.onNotice ?? (() => {});
  if (workflowsDir && !(await stat(workflowsDir).catch(() => undefined))?.isDirectory()) {
    adopter.stop();
    await engine.close();
    throw new Error(`--workflows ${workflowsDir}: no such folder`);
  }
  const registry = workflowsDir ? new WorkflowRegistry(workflowsDir, notice) : undefined;
  if (registry) {
    await registry.load();
    registry.watch();
  }
  const api = createApi({
    engine,
    token,
    maxBodyBytes: options.maxBodyBytes ?? DEFAULT_BODY_BYTES,
    readStepFiles: workflowsDir
      ? async (workflow) => {
          const read = await readStepFiles(workflow, workflowsDir, undefined, undefined, false);
          if (!read.ok) throw read.error;
          return read.value;
        }
      : undefined,
    assets: dashboardAssets(options.dashboardDir ?? DASHBOARD_DIR),
    // Behind loopback, only loopback names: a web page cannot reach it by DNS rebinding.
    allowHost: isLoopback(host) ? (name) => isLoopback(name) : undefined,
    workflows: registry && workflowsDir ? { folder: workflowsDir, source: registry } : undefined,
    notice,
    version: "0.1.0",
    now: () => Date.now(),
  });
  const { app, logs } = api;
  const server = await new Promise<ReturnType<typeof serve>>((resolveListen, reject) => {
    const s = serve({ fetch: app.fetch, port, hostname: host }, () => resolveListen(s));
    s.once("error", reject);
  }).catch(async (e: unknown) => {
    adopter.stop();
    registry?.close();
    api.close();
    await engine.close();
    throw e;
  });
  const retention =
    options.retentionMs !== undefined && engine.store
      ? new RetentionPruner(engine.store, options.retentionMs, notice)
      : undefined;
  retention?.start();
  const address = server.address() as AddressInfo;
  const shownHost = address.family === "IPv6" ? `[${address.address}]` : address.address;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${shownHost}:${address.port}`,
    engine,
    close() {
      closing ??= (async () => {
        adopter?.stop();
        await retention?.stop();
        registry?.close();
        api.close();
        const running = logs.running();
        for (const handle of running) handle.cancel();
        await Promise.allSettled(running.map((h) => h.report));
        await new Promise<void>((done) => {
          server.close(() => done());
          (server as { closeAllConnections?: () => void }).closeAllConnections?.();
        });
        await engine.close();
      })();
      return closing;
    },
  };
}
