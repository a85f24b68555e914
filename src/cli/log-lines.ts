/**
 * Step output as whole lines for the progress display. Output arrives in chunks cut anywhere
 * (the worker sends what a step printed every 50 ms, and a secret's mask holds back what
 * could be the start of the secret), so printing each chunk as lines of its own broke lines
 * in two ("sh sees **" then "*"). A step's unfinished line is held until its newline comes
 * or the attempt ends.
 */

import type { RunEvent } from "../core/events.js";
import { terminalSafe } from "./terminal-safe.js";

/** Longest unfinished line held; past it the text is shown as a line anyway. */
const MAX_HELD = 8192;

const STREAMS = ["stdout", "stderr"] as const;

/** Events after which a step's attempt prints no more. */
const ENDS_ATTEMPT: ReadonlySet<RunEvent["type"]> = new Set([
  "step-succeeded",
  "step-failed",
  "step-retrying",
  "step-cancelled",
]);

/** Unfinished lines of step output, by step and stream. */
export class LogLines {
  readonly #held = new Map<string, string>();

  /**
   * The output lines to show on `event`, before its own line if it has one, by step: those a
   * log event completes (made terminal-safe), what an attempt that ended left unfinished, or
   * at the end of the run what every step left.
   */
  linesOn(event: RunEvent): [stepId: string, line: string][] {
    const of = (stepId: string, lines: string[]) => lines.map((line): [string, string] => [stepId, line]);
    if (event.type === "log")
      return of(event.stepId, this.push(event.stepId, event.stream, terminalSafe(event.text)));
    if (event.type === "run-finished") return this.flushAll();
    if (ENDS_ATTEMPT.has(event.type) && "stepId" in event) return of(event.stepId, this.flush(event.stepId));
    return [];
  }

  /** The lines `text` completes for a step's stream (without their newlines). */
  push(stepId: string, stream: "stdout" | "stderr", text: string): string[] {
    const key = `${stream}\0${stepId}`;
    const joined = (this.#held.get(key) ?? "") + text;
    const cut = joined.lastIndexOf("\n");
    const rest = joined.slice(cut + 1);
    if (rest.length > MAX_HELD) {
      this.#held.delete(key);
      return joined.split("\n");
    }
    if (rest === "") this.#held.delete(key);
    else this.#held.set(key, rest);
    return cut < 0 ? [] : joined.slice(0, cut).split("\n");
  }

  /** What is held of a step's unfinished lines (stdout's, then stderr's), once its attempt ended. */
  flush(stepId: string): string[] {
    const out: string[] = [];
    for (const stream of STREAMS) {
      const key = `${stream}\0${stepId}`;
      const rest = this.#held.get(key);
      if (rest === undefined) continue;
      out.push(rest);
      this.#held.delete(key);
    }
    return out;
  }

  /** Every step's unfinished lines, with their step ids (at the end of a run). */
  flushAll(): [stepId: string, line: string][] {
    const out: [string, string][] = [];
    for (const [key, rest] of this.#held) out.push([key.slice(key.indexOf("\0") + 1), rest]);
    this.#held.clear();
    return out;
  }
}
