/**
 * `sandflow emit NAME` and `sandflow schedules`: they talk to a running `sandflow serve`
 * (`--server`, else `SANDFLOW_SERVER`, else the background server `serve --background`
 * started), which holds the registered workflows, their events and their schedules.
 */
import { readFileSync } from "node:fs";
import { serverStateFile } from "../node/sandflow-home.js";
import type { ScheduleInfo } from "../server/schedule-runner.js";
import { EXIT } from "./exit-codes.js";
import { terminalSafeLine } from "./terminal-safe.js";

/** Options every command that talks to a server takes. */
export interface ServerCallOptions {
  readonly server?: string;
  readonly token?: string;
  readonly json?: boolean;
}

function serverUrl(given: string | undefined): string | undefined {
  const url = given || process.env.SANDFLOW_SERVER;
  if (url) return url.replace(/\/+$/, "");
  try {
    const state = JSON.parse(readFileSync(serverStateFile(), "utf8")) as { url?: unknown };
    return typeof state.url === "string" ? state.url : undefined;
  } catch {
    return undefined;
  }
}

/** Calls the server's API; resolves with the JSON answer, or prints why not and resolves with an exit code. */
async function call(
  command: string,
  path: string,
  options: ServerCallOptions,
  body?: unknown,
): Promise<{ ok: true; value: unknown } | { ok: false; code: number }> {
  const base = serverUrl(options.server);
  if (!base) {
    process.stderr.write(
      `sandflow ${command}: no server: give --server URL (or SANDFLOW_SERVER), or start one with 'sandflow serve --background --workflows DIR'\n`,
    );
    return { ok: false, code: EXIT.INVALID };
  }
  const token = options.token ?? process.env.SANDFLOW_TOKEN;
  let response: Response;
  try {
    response = await fetch(`${base}${path}`, {
      method: body === undefined ? "GET" : "POST",
      headers: {
        ...(body === undefined ? {} : { "Content-Type": "application/json" }),
        ...(token ? { Authorization: `Bearer ${token}` } : {}),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  } catch (e) {
    const cause = (e as Error & { cause?: Error }).cause?.message ?? (e as Error).message;
    process.stderr.write(`sandflow ${command}: no server at ${base}: ${cause}\n`);
    return { ok: false, code: EXIT.FAILED };
  }
  const answer = (await response.json().catch(() => ({}))) as {
    error?: { message?: string; issues?: { path: string; message: string }[] };
  };
  if (!response.ok) {
    const issues = (answer.error?.issues ?? []).map((i) => `\n  ${i.path}: ${i.message}`).join("");
    process.stderr.write(
      `sandflow ${command}: ${terminalSafeLine(answer.error?.message ?? `the server answered ${response.status}`)}${terminalSafeLine(issues)}\n`,
    );
    return { ok: false, code: response.status === 400 ? EXIT.INVALID : EXIT.FAILED };
  }
  return { ok: true, value: answer };
}

/** Parses `--data`: JSON, or the text as a string when it is not JSON. */
export function parseData(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** `sandflow emit NAME [--data JSON] [--id ID]`. */
export async function emitCommand(
  name: string,
  options: ServerCallOptions & { data?: string; id?: string },
): Promise<number> {
  const data = parseData(options.data);
  const body = {
    ...(options.id !== undefined ? { id: options.id } : {}),
    ...(data !== undefined ? { data } : {}),
  };
  const answer = await call("emit", `/api/events/${encodeURIComponent(name)}`, options, body);
  if (!answer.ok) return answer.code;
  const { eventId, runIds } = answer.value as { eventId: string; runIds: string[] };
  if (options.json) process.stdout.write(`${JSON.stringify({ eventId, runIds }, null, 2)}\n`);
  else if (runIds.length === 0)
    process.stdout.write(`event ${name} (${eventId}): no registered workflow listens to it\n`);
  else process.stdout.write(`event ${name} (${eventId}): runs ${runIds.join(", ")}\n`);
  return EXIT.OK;
}

/** `sandflow schedules`: the schedules of the server's workflows and their next fire times. */
export async function schedulesCommand(options: ServerCallOptions & { count?: number }): Promise<number> {
  const answer = await call("schedules", `/api/schedules?count=${options.count ?? 3}`, options);
  if (!answer.ok) return answer.code;
  const { schedules } = answer.value as { schedules: ScheduleInfo[] };
  if (options.json) {
    process.stdout.write(`${JSON.stringify({ schedules }, null, 2)}\n`);
    return EXIT.OK;
  }
  if (schedules.length === 0) {
    process.stdout.write("no schedules: no registered workflow has a 'schedule' field\n");
    return EXIT.OK;
  }
  for (const s of schedules) {
    process.stdout.write(
      `${terminalSafeLine(s.file)}  ${terminalSafeLine(s.workflow)}  "${terminalSafeLine(s.cron)}" ${terminalSafeLine(s.timezone)}\n` +
        `  next: ${s.next.join(", ")}\n  last: ${s.last ?? "never"}\n`,
    );
  }
  return EXIT.OK;
}
