/** Live progress of a run on a terminal: a table of steps redrawn in place (log-update), on stderr. */
import { createLogUpdate } from "log-update";
import type { RunEvent } from "../core/events.js";
import { queuedText } from "../core/waiting-status.js";
import { colors } from "./colors.js";
import { formatDuration, statusMark } from "./format.js";
import { LogLines } from "./log-lines.js";
import type { ProgressReporter } from "./plain-progress.js";
import { terminalSafeLine } from "./terminal-safe.js";
import { waitStartText } from "./wait-text.js";

type LiveState = "pending" | "running" | "retrying" | "succeeded" | "failed" | "skipped" | "cancelled";

interface Row {
  state: LiveState;
  startedAt: number;
  durationMs: number | null;
  attempt: number;
  /** Ended before this run started (a rerun's kept step, a resumed run's finished one). */
  kept: boolean;
  /** Where the step's compensation is, once the failed run undoes it. */
  compensation?: "running" | "succeeded" | "failed" | "cancelled";
}

const MAX_ROWS = 20;
const pc = colors.err;

/** A redrawn table of steps for a terminal. */
export class TerminalProgress implements ProgressReporter {
  readonly #rows = new Map<string, Row>();
  readonly #logs = new LogLines();
  readonly #update = createLogUpdate(process.stderr);
  readonly #timer: ReturnType<typeof setInterval>;
  readonly #server: string | undefined;
  #workflow = "";
  #startedAt = Date.now();

  /** @param server the server that runs the run, if any (for the hints to signal it). */
  constructor(server?: string) {
    this.#server = server;
    this.#timer = setInterval(() => this.#draw(), 100);
  }

  onEvent(event: RunEvent): void {
    const output = this.#logs.linesOn(event);
    // What a waiting step needs is said once, above the table (it stays on the screen).
    if (event.type === "step-started" && event.wait)
      output.push([
        event.stepId,
        pc.yellow(waitStartText(event.wait, { runId: event.runId, server: this.#server }, event.attempt)),
      ]);
    if (event.type === "run-queued") {
      this.#update.clear();
      process.stderr.write(`${pc.yellow(terminalSafeLine(queuedText(event.key, event.maxRuns)))}\n`);
      return;
    }
    if (output.length > 0) {
      this.#update.clear();
      process.stderr.write(
        output.map(([stepId, line]) => `${pc.dim(`${terminalSafeLine(stepId)} │ `)}${line}\n`).join(""),
      );
    }
    if (event.type === "run-started") {
      this.#workflow = terminalSafeLine(event.workflow);
      this.#startedAt = event.time;
      for (const id of event.steps) {
        const kept = event.settled?.[id];
        this.#rows.set(id, {
          state: kept ?? "pending",
          startedAt: 0,
          durationMs: null,
          attempt: 0,
          kept: !!kept,
        });
      }
    } else if (event.type !== "log" && event.type !== "run-finished") {
      const row = this.#rows.get(event.stepId);
      if (!row) return;
      if (event.type === "step-started")
        Object.assign(row, { state: "running", startedAt: event.time, attempt: event.attempt, kept: false });
      else if (event.type === "step-retrying") row.state = "retrying";
      else if (event.type === "step-succeeded")
        Object.assign(row, { state: "succeeded", durationMs: event.durationMs });
      else if (event.type === "step-failed")
        Object.assign(row, { state: "failed", durationMs: event.durationMs });
      else if (event.type === "step-skipped") row.state = "skipped";
      else if (event.type === "step-cancelled") row.state = "cancelled";
      else if (event.type === "compensation-started") row.compensation = "running";
      else if (event.type === "compensation-finished") row.compensation = event.status;
    }
    this.#draw();
  }

  #draw(): void {
    const now = Date.now();
    const counts = new Map<LiveState, number>();
    for (const row of this.#rows.values()) counts.set(row.state, (counts.get(row.state) ?? 0) + 1);
    const shown = [...this.#rows].filter(([, r]) => r.state !== "pending").slice(-MAX_ROWS);
    const width = Math.max(4, ...shown.map(([id]) => terminalSafeLine(id).length));
    const lines = shown.map(([rawId, r]) => {
      const id = terminalSafeLine(rawId);
      const time =
        r.state === "running" || r.state === "retrying"
          ? formatDuration(now - r.startedAt)
          : r.kept
            ? "kept"
            : formatDuration(r.durationMs);
      const attempt = r.attempt > 1 ? pc.yellow(` attempt ${r.attempt}`) : "";
      return `${statusMark(r.state, pc)} ${id.padEnd(width)} ${pc.dim(time)}${attempt}${compensationNote(r.compensation)}`;
    });
    const summary = [...counts].map(([state, n]) => `${n} ${state}`).join(", ");
    lines.unshift(
      pc.bold(`${this.#workflow} ${pc.dim(formatDuration(now - this.#startedAt))}`) + pc.dim(`  ${summary}`),
    );
    this.#update(lines.join("\n"));
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#draw();
    this.#update.done();
  }
}

/** What a row adds once its step is being undone, or was. */
function compensationNote(state: Row["compensation"]): string {
  if (state === undefined) return "";
  if (state === "running") return pc.yellow(" ↩ compensating");
  if (state === "succeeded") return pc.yellow(" ↩ compensated");
  return pc.red(` ↩ compensation ${state}`);
}
