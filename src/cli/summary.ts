/** The human summary printed after a run (not used with --json). */
import type { RunReport } from "../core/report.js";
import { queuedText, runUnderWay } from "../core/waiting-status.js";
import { colors } from "./colors.js";
import { formatDuration, preview, statusMark } from "./format.js";
import { terminalSafeLine as safe } from "./terminal-safe.js";
import { waitingText } from "./wait-text.js";

/**
 * Renders the end-of-run table: status, timing, attempts, output or error per step, and what
 * each waiting step waits for (`server`: the run's server, for the hint to signal it).
 */
export function renderSummary(report: RunReport, pc = colors.out, server?: string): string {
  const ids = Object.keys(report.steps);
  const width = Math.max(4, ...ids.map((id) => safe(id).length));
  const kindOf = (s: (typeof report.steps)[string]) => s.kind ?? s.language;
  const languageWidth = Math.max(6, ...Object.values(report.steps).map((s) => kindOf(s).length));
  // A rerun's kept step and a cache hit did not run now: their time is the earlier run's.
  const originOf = (s: (typeof report.steps)[string]) =>
    s.reusedFrom !== undefined ? "kept" : s.cached ? "cached" : "";
  const originWidth = Math.max(0, ...Object.values(report.steps).map((s) => originOf(s).length));
  const lines: string[] = [];
  const counts = new Map<string, number>();
  const waits = new Map((report.waiting ?? []).map((w) => [w.step, w]));
  for (const id of ids) {
    const s = report.steps[id];
    if (!s) continue;
    counts.set(s.status, (counts.get(s.status) ?? 0) + 1);
    // A repeat step's attempts are its iterations' (retries are per iteration).
    const runs = s.iterations ?? 1;
    const attempts =
      (s.iterations !== undefined ? pc.dim(` ${runs} ${runs === 1 ? "iteration" : "iterations"}`) : "") +
      (s.attempts > runs ? pc.yellow(` ×${s.attempts}`) : "");
    const origin = originWidth > 0 ? ` ${pc.dim(originOf(s).padEnd(originWidth))}` : "";
    const head = `${statusMark(s.status, pc)} ${safe(id).padEnd(width)} ${pc.dim(kindOf(s).padEnd(languageWidth))} ${formatDuration(s.durationMs).padStart(9)}${attempts}${origin}`;
    if (s.status === "succeeded") lines.push(`${head}  ${safe(preview(s.output))}`);
    else if (s.error) {
      const [first, ...rest] = s.error.message.split("\n");
      lines.push(`${head}  ${pc.red(`${safe(s.error.name)}: ${safe(first ?? "")}`)}`);
      for (const line of rest.slice(0, 12)) lines.push(`${" ".repeat(width + 3)}${pc.dim(safe(line))}`);
    } else {
      const wait = waits.get(id);
      lines.push(wait ? `${head}  ${pc.yellow(waitingText(wait, { runId: report.runId, server }))}` : head);
    }
    // A saga's undo, under the step it undid (the step's own status and output stay).
    const c = s.compensation;
    if (c) {
      const indent = " ".repeat(width + 3);
      lines.push(
        c.status === "succeeded"
          ? `${indent}${pc.yellow("↩ compensated")}  ${safe(preview(c.output))}`
          : `${indent}${pc.red(`↩ compensation failed: ${safe(c.error?.name ?? "")}: ${safe(c.error?.message.split("\n")[0] ?? "")}`)}`,
      );
    }
  }
  const kept = Object.values(report.steps).filter((s) => s.reusedFrom !== undefined).length;
  const undone = Object.values(report.steps).filter((s) => s.compensation?.status === "succeeded").length;
  const undoFailed = Object.values(report.steps).filter((s) => s.compensation?.status === "failed").length;
  const tally = [
    ...[...counts].map(([status, n]) => `${n} ${status}`),
    ...(kept > 0 && report.rerunOf ? [`${kept} kept from ${report.rerunOf.slice(0, 8)}`] : []),
    ...(undone > 0 ? [`${undone} compensated`] : []),
    ...(undoFailed > 0
      ? [`${undoFailed} ${undoFailed === 1 ? "compensation" : "compensations"} failed`]
      : []),
  ].join(", ");
  const colour =
    report.status === "succeeded"
      ? pc.green
      : report.status === "failed" || report.status === "cancelled"
        ? pc.red
        : pc.yellow;
  // An unfinished run's time is so far; an interrupted one's up to its last record.
  const time =
    report.status === "interrupted"
      ? `after ${formatDuration(report.durationMs)}`
      : runUnderWay(report.status)
        ? `for ${formatDuration(report.durationMs)} so far`
        : `in ${formatDuration(report.durationMs)}`;
  lines.push(
    "",
    `${colour(`${safe(report.workflow)}: ${report.status}`)} ${time} (${tally}) run ${pc.dim(report.runId)}`,
  );
  if (report.queued) lines.push(pc.yellow(safe(queuedText(report.queued.key, report.queued.maxRuns))));
  return `${lines.join("\n")}\n`;
}
