/**
 * What a waiting step waits for, in words, with the command that ends the wait: the
 * progress says it when the step starts waiting, the summary of a waiting run on each such
 * step, so whoever runs it knows what the run needs from them.
 */
import type { RunReport } from "../core/report.js";
import { waitTarget } from "../core/waiting-status.js";
import type { WaitSpec } from "../core/workflow.js";
import { formatDuration } from "./format.js";
import { terminalSafeLine } from "./terminal-safe.js";

/** A shell word for `text`. */
const word = (text: string) => (/^[A-Za-z0-9_.:/-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`);

/** Where a run's signals go: its server's API, else its store (`sandflow signal`). */
export interface SignalRoute {
  readonly runId: string;
  /** The server that runs it (`run --server`); undefined for a local run. */
  readonly server?: string | undefined;
}

/** How to send signal `name` to the run. */
export function signalCommand(route: SignalRoute, name: string, approval: boolean): string {
  const data = approval ? `'{"approved": true}'` : "JSON";
  if (route.server)
    return `curl -X POST ${route.server}/api/runs/${route.runId}/signals/${word(name)} -d ${data}${approval ? " (or Approve on the dashboard)" : ""}`;
  return `sandflow signal ${route.runId.slice(0, 8)} ${word(name)} --data ${data}`;
}

const clock = (ms: number) =>
  new Date(ms)
    .toISOString()
    .replace("T", " ")
    .replace(/\.\d+Z$/, " UTC");

/** "approval" or "signal NAME", and the command that sends it. */
function target(t: ReturnType<typeof waitTarget>, route: SignalRoute): { what: string; send: string } {
  const name = t.signal ?? "";
  const approval = t.for === "approval";
  return {
    what: terminalSafeLine(approval ? "approval" : `signal ${word(name)}`),
    send: terminalSafeLine(signalCommand(route, name, approval)),
  };
}

/**
 * `waiting for approval; send it with: ...` and the like, for a step that starts waiting
 * (`attempt` > 1: started again, as by a resume; a sleep's time counts from its first start).
 */
export function waitStartText(wait: WaitSpec, route: SignalRoute, attempt = 1): string {
  if (wait.kind === "sleep") {
    if (wait.until !== undefined) return `sleeping until ${clock(wait.until)}`;
    const d = formatDuration(wait.ms ?? 0);
    return attempt > 1 ? `sleeping what is left of ${d} from its first start` : `sleeping ${d}`;
  }
  const { what, send } = target(waitTarget(wait), route);
  const timeout = wait.timeoutMs !== undefined ? ` (at most ${formatDuration(wait.timeoutMs)})` : "";
  return `waiting for ${what}${timeout}; send it with: ${send}`;
}

/** What one entry of a waiting run's `waiting` list waits for, for its line in the summary. */
export function waitingText(waiting: NonNullable<RunReport["waiting"]>[number], route: SignalRoute): string {
  if (waiting.for === "time")
    return waiting.until !== undefined ? `sleeps until ${clock(waiting.until)}` : "sleeps";
  const { what, send } = target(waiting, route);
  const until = waiting.until !== undefined ? ` until ${clock(waiting.until)}` : "";
  return `waits for ${what}${until}: ${send}`;
}
