/**
 * Writes the results: bench/results.json (every figure with its samples, the targets and
 * the machine) and bench/results.md (the tables the README shows), and builds the one
 * JSON object `--json` prints.
 */
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Figure, Recorder } from "./recorder.js";
import type { TargetResult } from "./targets.js";
import type { MachineInfo } from "./util.js";
import { ROOT } from "./util.js";

/** Everything one benchmark run produced. */
export interface BenchResults {
  readonly machine: MachineInfo;
  readonly mode: "full" | "quick";
  /** Sections left out of this run (`--only`). */
  readonly skipped?: readonly string[];
  readonly durationS: number;
  /** One-minute load average when the run ended (the machine is shared). */
  readonly loadAverageAtEnd: number;
  readonly targets: readonly TargetResult[];
  readonly figures: readonly Figure[];
  readonly errors: readonly string[];
  /** Runs that failed and were measured again (engine bugs to report). */
  readonly incidents: readonly string[];
}

/** The object `--json` prints: the headline figures under fixed keys. */
export function summaryJson(rec: Recorder, largest: number): Record<string, unknown> {
  return {
    warm_steps_per_s: rec.get(`warm.mixed.${largest}`),
    warm_steps_per_s_by_language: {
      python: rec.get(`warm.python.${largest}`),
      lua: rec.get(`warm.lua.${largest}`),
      shell: rec.get(`warm.shell.${largest}`),
    },
    baseline_steps_per_s: { python: rec.get("baseline.python"), shell: rec.get("baseline.shell") },
    native_steps_per_s: { python: rec.get("native.python"), lua: rec.get("native.lua") },
    fresh_run_ms: rec.get("runs.fresh_run_ms"),
    concurrent_runs_ratio: rec.get("runs.concurrent_ratio"),
    soak_rss_growth: rec.get("runs.soak_rss_growth"),
    fanout_speedup: rec.get("fanout.speedup"),
    cold_first_python_ms: rec.get("cold.python.cached"),
    rss_per_python_worker_mb: rec.get("memory.per_worker.python"),
    floor_roundtrip_us: rec.get("floor.worker_roundtrip"),
  };
}

function fmt(value: number | null): string {
  if (value === null) return "—";
  if (Math.abs(value) >= 1000) return Math.round(value).toLocaleString("en-US");
  return String(value);
}

const cell = (text: string): string => text.replace(/\|/g, "\\|");

/** The markdown tables. */
export function markdown(results: BenchResults): string {
  const m = results.machine;
  const lines = [
    "# sandflow benchmark results",
    "",
    `Machine: ${m.cores} cores (${m.cpuModel}), ${m.memoryGb} GB, ${m.platform}; Node ${m.node}; ${m.date}; ` +
      `load average ${m.loadAverageAtStart} at start and ${results.loadAverageAtEnd} at the end. Mode: ${results.mode}, ${Math.round(results.durationS)} s. ` +
      (results.skipped?.length ? `Sections left out: ${results.skipped.join(", ")}. ` : "") +
      "Each figure is the median of the samples listed; every comparison was measured in this same run; " +
      "figures are keyed in results.json as shown in the last column of the targets. " +
      "Written by `npm run bench` (bench/main.ts); the machine is shared, so expect noise.",
    "",
    "## Targets",
    "",
    "| target | figure | threshold | result | from the figures |",
    "|---|---|---|---|---|",
  ];
  for (const t of results.targets) {
    const verdict = t.met === null ? "not measured" : t.met ? "**met**" : "**missed**";
    const figure = `${fmt(t.figure)} ${t.unit}`.trim();
    const threshold = `${t.threshold} ${t.unit}`.trim();
    lines.push(`| ${cell(t.target)} | ${figure} | ${threshold} | ${verdict} | \`${t.from}\` |`);
  }
  // Sections in the order first seen; a section's figures together even when measured apart.
  const sections = [...new Set(results.figures.map((f) => f.section))];
  const ordered = sections.flatMap((name) => results.figures.filter((f) => f.section === name));
  let current = "";
  for (const f of ordered) {
    if (f.section !== current) {
      current = f.section;
      lines.push(
        "",
        `## ${current}`,
        "",
        "| figure | median | unit | samples | note |",
        "|---|---|---|---|---|",
      );
    }
    const samples = f.samples.length > 1 ? f.samples.map(fmt).join(", ") : "";
    lines.push(
      `| ${cell(f.label)} | ${fmt(f.value)} | ${f.unit} | ${cell(samples)} | ${cell(f.note ?? "")} |`,
    );
  }
  if (results.incidents.length > 0) {
    lines.push("", "## Incidents (failed runs, measured again)", "");
    for (const e of results.incidents) lines.push(`- ${cell(e)}`);
  }
  if (results.errors.length > 0) {
    lines.push("", "## Errors", "");
    for (const e of results.errors) lines.push(`- ${cell(e.split("\n")[0] ?? e)}`);
  }
  return `${lines.join("\n")}\n`;
}

/** Writes results.json and results.md into bench/ (formatted the way the linter wants). */
export function writeResults(results: BenchResults): void {
  const json = join(ROOT, "bench", "results.json");
  writeFileSync(json, `${JSON.stringify(results, null, 2)}\n`);
  const md = join(ROOT, "bench", "results.md");
  writeFileSync(md, markdown(results));
  try {
    execFileSync(join(ROOT, "node_modules", ".bin", "biome"), ["format", "--write", json, md], {
      stdio: "ignore",
    });
  } catch {
    // biome missing: the files are still valid JSON and markdown
  }
}
