/**
 * `sandflow emit NAME` and `sandflow schedules`: they talk to a running `sandflow serve`
 * (`--server`, else `SANDFLOW_SERVER`, else the background server `serve --background`
 * started), which holds the registered workflows, their events and their schedules.
 */
import type { ScheduleInfo } from "../server/schedule-runner.js";
import { EXIT } from "./exit-codes.js";
import { call, type ServerCallOptions } from "./server-call.js";
import { terminalSafeLine } from "./terminal-safe.js";

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
  const { eventId, runIds, duplicate } = answer.value as {
    eventId: string;
    runIds: string[];
    duplicate?: boolean;
  };
  if (options.json)
    process.stdout.write(
      `${JSON.stringify({ eventId, runIds, ...(duplicate ? { duplicate } : {}) }, null, 2)}\n`,
    );
  else if (duplicate)
    process.stdout.write(
      `event ${name} (${eventId}) was delivered before; nothing started now${runIds.length > 0 ? `: it started ${runIds.join(", ")}` : ""}\n`,
    );
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
