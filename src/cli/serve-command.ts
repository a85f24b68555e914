/**
 * `sandflow serve` (in the foreground, or `--background` as a daemon whose address and
 * process id are kept in `$SANDFLOW_HOME/server.json`) and `sandflow stop`.
 */
import { spawn } from "node:child_process";
import { mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { sandflowHome, serverStateFile } from "../node/sandflow-home.js";
import { startServer } from "../server/node-server.js";
import { EXIT } from "./exit-codes.js";
import { terminalSafe } from "./terminal-safe.js";

/** Options of `sandflow serve`. */
export interface ServeCommandOptions {
  readonly port?: number;
  readonly host?: string;
  readonly store?: string;
  readonly token?: string;
  readonly workflows?: string;
  readonly threads?: number;
  /** `--net-host`: the ceiling of network grants. */
  readonly netHost?: readonly string[];
  /** `--rate-limit key=n/unit`. */
  readonly rateLimit?: Readonly<Record<string, string>>;
  /** `--max-for-each-items n`. */
  readonly maxForEachItems?: number;
  readonly background?: boolean;
  readonly queue?: string;
  readonly heartbeat?: number;
  /** `--retention 30d`, in milliseconds. */
  readonly retention?: number;
}

interface ServerState {
  readonly pid: number;
  readonly url: string;
}

function readState(): ServerState | undefined {
  try {
    return JSON.parse(readFileSync(serverStateFile(), "utf8")) as ServerState;
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** `sandflow serve`: listens until SIGINT or SIGTERM. */
export async function serveCommand(options: ServeCommandOptions): Promise<number> {
  if (options.background) return serveInBackground();
  let server: Awaited<ReturnType<typeof startServer>>;
  try {
    server = await startServer({
      ...(options.port !== undefined ? { port: options.port } : {}),
      ...(options.host ? { host: options.host } : {}),
      ...(options.store ? { store: options.store } : {}),
      ...(options.workflows ? { workflows: options.workflows } : {}),
      ...(options.queue || options.heartbeat
        ? {
            queue: {
              ...(options.queue ? { queue: options.queue } : {}),
              ...(options.heartbeat ? { heartbeatSeconds: options.heartbeat } : {}),
            },
          }
        : {}),
      ...(options.retention !== undefined ? { retentionMs: options.retention } : {}),
      token: options.token ?? process.env.SANDFLOW_TOKEN ?? "",
      onNotice: (message) => process.stderr.write(`sandflow serve: ${terminalSafe(message)}\n`),
      engine: {
        ...(options.threads ? { threads: options.threads } : {}),
        ...(options.netHost ? { netHosts: options.netHost } : {}),
        ...(options.rateLimit ? { rateLimits: options.rateLimit } : {}),
        ...(options.maxForEachItems ? { maxForEachItems: options.maxForEachItems } : {}),
        onNotice: (message) => process.stderr.write(`sandflow: ${message}\n`),
      },
    });
  } catch (e) {
    process.stderr.write(`sandflow serve: ${(e as Error).message}\n`);
    return EXIT.INVALID;
  }
  const stateFile = process.env.SANDFLOW_SERVE_STATE;
  if (stateFile) writeFileSync(stateFile, JSON.stringify({ pid: process.pid, url: server.url }));
  process.stdout.write(
    `sandflow serve: listening on ${server.url} (dashboard ${server.url}/, API ${server.url}/api)\n`,
  );
  await new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  process.stderr.write("sandflow serve: stopping (cancelling the runs in progress)\n");
  await server.close();
  if (stateFile && readState()?.pid === process.pid) rmSync(stateFile, { force: true });
  return EXIT.OK;
}

/** Starts this same command without `--background` as a detached process, and waits until it listens. */
async function serveInBackground(): Promise<number> {
  const running = readState();
  if (running && alive(running.pid)) {
    process.stderr.write(
      `sandflow serve: a background server already runs at ${running.url} (pid ${running.pid}); 'sandflow stop' stops it\n`,
    );
    return EXIT.INVALID;
  }
  const stateFile = serverStateFile();
  mkdirSync(dirname(stateFile), { recursive: true });
  rmSync(stateFile, { force: true });
  const logFile = join(sandflowHome(), "server.log");
  const log = openSync(logFile, "a");
  const bin = fileURLToPath(new URL("../../../bin/sandflow.js", import.meta.url));
  const args = process.argv.slice(2).filter((a) => a !== "--background");
  const child = spawn(process.execPath, [bin, ...args], {
    detached: true,
    stdio: ["ignore", log, log],
    env: { ...process.env, SANDFLOW_SERVE_STATE: stateFile },
  });
  let exited: number | null | undefined;
  child.once("exit", (code) => {
    exited = code;
  });
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline && exited === undefined) {
    const state = readState();
    if (state && state.pid === child.pid) {
      child.unref();
      process.stdout.write(
        `sandflow serve: listening on ${state.url} in the background (pid ${state.pid}, log ${logFile}); 'sandflow stop' stops it\n`,
      );
      return EXIT.OK;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const tail = readFileSync(logFile, "utf8").trim().split("\n").slice(-5).join("\n");
  process.stderr.write(`sandflow serve: the background server did not start:\n${tail}\n`);
  if (exited === undefined) child.kill();
  return EXIT.INVALID;
}

/** `sandflow stop`: stops the background server. */
export async function stopCommand(): Promise<number> {
  const state = readState();
  if (!state || !alive(state.pid)) {
    rmSync(serverStateFile(), { force: true });
    process.stderr.write("sandflow stop: no background server is running\n");
    return EXIT.FAILED;
  }
  process.kill(state.pid, "SIGTERM");
  const deadline = Date.now() + 30_000;
  while (alive(state.pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  if (alive(state.pid)) {
    process.stderr.write(`sandflow stop: the server (pid ${state.pid}) did not stop within 30 s\n`);
    return EXIT.FAILED;
  }
  rmSync(serverStateFile(), { force: true });
  process.stdout.write(`sandflow stop: stopped the server at ${state.url} (pid ${state.pid})\n`);
  return EXIT.OK;
}
