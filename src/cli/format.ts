/** Small text helpers for the CLI's human output. */
import type { StepStatus } from "../core/report.js";
import type { Colors } from "./colors.js";

/** `12 ms`, `1.25 s`, `2 min 5 s`. */
export function formatDuration(ms: number | null): string {
  if (ms === null) return "-";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(2)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

/** A JSON value on one line, cut to `max` characters. */
export function preview(value: unknown, max = 80): string {
  const text = JSON.stringify(value) ?? "null";
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** The coloured mark of a step state. */
export function statusMark(status: StepStatus | "running" | "pending" | "retrying", pc: Colors): string {
  switch (status) {
    case "succeeded":
      return pc.green("✔");
    case "failed":
      return pc.red("✖");
    case "skipped":
      return pc.yellow("○");
    case "cancelled":
      return pc.gray("⊘");
    case "running":
      return pc.cyan("●");
    case "retrying":
      return pc.yellow("↻");
    default:
      return pc.gray("·");
  }
}
