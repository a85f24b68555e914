/**
 * Cron schedules of workflows (the `schedule` and `timezone` fields), on croner: 5 fields
 * (minute precision) or 6 (seconds first), in a time zone or UTC. Platform-free: croner is
 * plain JavaScript over `Date` and `Intl`.
 */
import { Cron } from "croner";
import { err, ok, type Result } from "./result.js";

/** A workflow's cron schedule as validated. */
export interface Schedule {
  readonly cron: string;
  /** An IANA time zone name; `undefined` is UTC. */
  readonly timezone: string | undefined;
}

function cronOf(schedule: Schedule): Cron {
  return new Cron(schedule.cron, {
    paused: true,
    mode: "5-or-6-parts",
    timezone: schedule.timezone ?? "Etc/UTC",
  });
}

/** Why `timezone` is not a time zone this platform knows, or undefined. */
export function timezoneProblem(timezone: string): string | undefined {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: timezone });
    return undefined;
  } catch {
    return `unknown time zone ${JSON.stringify(timezone)} (use an IANA name such as "Europe/Paris" or "UTC")`;
  }
}

/** Checks a schedule: the problem's message (cron syntax, time zone), or the schedule. */
export function checkSchedule(cron: string, timezone: string | undefined): Result<Schedule, string> {
  const zone = timezone === undefined ? undefined : timezoneProblem(timezone);
  if (zone) return err(zone);
  const schedule = { cron: cron.trim(), timezone };
  try {
    const next = cronOf(schedule).nextRun(new Date(0));
    if (next === null) return err(`cron expression ${JSON.stringify(cron)} never fires`);
    return ok(schedule);
  } catch (e) {
    const message = (e as Error).message.replace(/^CronPattern: /, "");
    return err(
      `bad cron expression ${JSON.stringify(cron)}: ${message} (5 fields "min hour day month weekday", or 6 with seconds first)`,
    );
  }
}

/** The next `count` fire times strictly after `after` (epoch ms). */
export function nextFires(schedule: Schedule, after: number, count: number): number[] {
  return cronOf(schedule)
    .nextRuns(count, new Date(after))
    .map((d) => d.getTime());
}

/** The latest fire time at or before `at` (epoch ms), or undefined when none is found. */
export function lastFireAtOrBefore(schedule: Schedule, at: number): number | undefined {
  // previousRuns looks strictly before its reference; one millisecond later includes `at`.
  const [last] = cronOf(schedule).previousRuns(1, new Date(at + 1));
  return last?.getTime();
}
