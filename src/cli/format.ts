/** Small text helpers for the CLI's human output. */
import type { StepStatus } from "../core/report.js";
import type { Colors } from "./colors.js";

/** `12 ms`, `1.25 s`, `2 min 5 s`, `3 h 20 min`. */
export function formatDuration(ms: number | null): string {
  if (ms === null) return "-";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 59_995) return `${(ms / 1000).toFixed(2)} s`;
  // Rounded once, so that 119.6 s is "2 min 0 s", not "1 min 60 s".
  const s = Math.round(ms / 1000);
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  const min = Math.round(s / 60);
  return `${Math.floor(min / 60)} h ${min % 60} min`;
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
