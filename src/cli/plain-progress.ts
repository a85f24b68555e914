/**
 * Progress of a run as one plain line per event (for logs and pipes), on stderr so stdout
 * stays clean for results (and for exactly the report with --json). The live terminal
 * display is in terminal-progress.ts, loaded only on a terminal.
 */
import type { RunEvent } from "../core/events.js";
import { queuedText } from "../core/waiting-status.js";
import { formatDuration } from "./format.js";
import { LogLines } from "./log-lines.js";
import { terminalSafeLine as safe } from "./terminal-safe.js";
import { waitStartText } from "./wait-text.js";

/** Receives the events of one run. */
export interface ProgressReporter {
  onEvent(event: RunEvent): void;
  /** Stops redrawing; the last frame stays on screen. */
  stop(): void;
}

/** `1.25 s`, or `4.32 s, 3 attempts`: from the first attempt's start to the last one's end. */
function took(durationMs: number, attempts: number): string {
  return `${formatDuration(durationMs)}${attempts > 1 ? `, ${attempts} attempts` : ""}`;
}

/** One line per event, for logs and pipes. */
export class PlainProgress implements ProgressReporter {
  readonly #logs = new LogLines();
  readonly #server: string | undefined;

  /** @param server the server that runs the run, if any (for the hints to signal it). */
  constructor(server?: string) {
    this.#server = server;
  }

  onEvent(event: RunEvent): void {
    // Everything from the workflow or its steps goes through safe() / terminalSafe().
    const line = (text: string) => process.stderr.write(`${text}\n`);
    for (const [stepId, text] of this.#logs.linesOn(event)) line(`${safe(stepId)} | ${text}`);
    switch (event.type) {
      case "run-started": {
        const kept = Object.keys(event.settled ?? {});
        const names = kept.length > 5 ? `${kept.slice(0, 5).join(", ")}, ...` : kept.join(", ");
        line(
          `run ${event.runId}: ${safe(event.workflow)} (${event.steps.length} ${event.steps.length === 1 ? "step" : "steps"}${kept.length > 0 ? `; ${kept.length} kept from before: ${safe(names)}` : ""})`,
        );
        break;
      }
      case "run-queued":
        line(`run ${event.runId}: ${safe(queuedText(event.key, event.maxRuns))}`);
        break;
      case "step-started":
        if (event.wait)
          line(
            `${safe(event.stepId)}: ${waitStartText(event.wait, { runId: event.runId, server: this.#server }, event.attempt)}`,
          );
        else line(`${safe(event.stepId)}: started${event.attempt > 1 ? ` (attempt ${event.attempt})` : ""}`);
        break;
      case "step-retrying":
        line(
          `${safe(event.stepId)}: attempt ${event.attempt} failed (${safe(event.error.name)}: ${safe(event.error.message.split("\n")[0] ?? "")}); retrying in ${formatDuration(event.delayMs)}`,
        );
        break;
      case "step-succeeded":
        line(`${safe(event.stepId)}: succeeded in ${took(event.durationMs, event.attempt)}`);
        break;
      case "step-failed":
        line(
          `${safe(event.stepId)}: failed in ${took(event.durationMs, event.attempt)}: ${safe(event.error.name)}: ${safe(event.error.message.split("\n")[0] ?? "")}`,
        );
        break;
      case "step-skipped":
        line(`${safe(event.stepId)}: skipped (${safe(event.reason)})`);
        break;
      case "step-cancelled":
        line(`${safe(event.stepId)}: cancelled (${safe(event.reason)})`);
        break;
      case "compensation-started":
        line(`${safe(event.stepId)}: compensating (the run failed)`);
        break;
      case "compensation-finished":
        line(
          event.error
            ? `${safe(event.stepId)}: compensation ${event.status} in ${formatDuration(event.durationMs)}: ${safe(event.error.name)}: ${safe(event.error.message.split("\n")[0] ?? "")}`
            : `${safe(event.stepId)}: compensated in ${formatDuration(event.durationMs)}`,
        );
        break;
      case "run-finished":
        line(`run ${event.runId}: ${event.status}`);
        break;
    }
  }

  stop(): void {}
}
