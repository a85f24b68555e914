/**
 * Shared helpers of the benchmark: timing, medians, progress on stderr, the machine's
 * description, and child processes that print one JSON object on stdout.
 */
import { spawn } from "node:child_process";
import { cpus, loadavg, totalmem } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The package folder (bench files run from dist/bench/). */
export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** The built bench folder (dist/bench), where child scripts and worker entries live. */
export const DIST_BENCH = dirname(fileURLToPath(import.meta.url));

/** Progress output: always stderr, so `--json` keeps stdout to one object. */
export function log(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}

/** Median of a non-empty list (mean of the middle two for even lengths). */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** Milliseconds since an arbitrary origin, sub-millisecond precision. */
export function now(): number {
  return performance.now();
}

/** Runs `fn` and returns its wall time in milliseconds with its value. */
export async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const t0 = now();
  const value = await fn();
  return { ms: now() - t0, value };
}

/** Runs `fn` `reps` times one after another and returns the list of its results. */
export async function repeat<T>(reps: number, fn: (rep: number) => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < reps; i++) out.push(await fn(i));
  return out;
}

/** Rounds to `digits` significant digits (for tables and JSON). */
export function round(value: number, digits = 3): number {
  if (!Number.isFinite(value) || value === 0) return value;
  const scale = 10 ** (digits - Math.ceil(Math.log10(Math.abs(value))));
  return Math.round(value * scale) / scale;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** What the numbers were measured on. */
export interface MachineInfo {
  readonly cores: number;
  readonly cpuModel: string;
  readonly memoryGb: number;
  readonly node: string;
  readonly platform: string;
  readonly date: string;
  readonly loadAverageAtStart: number;
}

export function machineInfo(): MachineInfo {
  const list = cpus();
  return {
    cores: list.length,
    cpuModel: list[0]?.model.trim() ?? "unknown",
    memoryGb: round(totalmem() / 2 ** 30, 3),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    date: new Date().toISOString(),
    loadAverageAtStart: round(loadavg()[0] ?? 0, 2),
  };
}

/** Output of a finished child process. */
export interface ChildResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

/** Runs a command to its end (no shell), with an optional environment and a time limit. */
export function runCommand(
  command: string,
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; timeoutMs?: number; cwd?: string } = {},
): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const t0 = now();
    const child = spawn(command, args, {
      env: options.env ?? process.env,
      cwd: options.cwd ?? ROOT,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding("utf8").on("data", (d: string) => {
      stderr += d;
    });
    const timer = options.timeoutMs ? setTimeout(() => child.kill("SIGKILL"), options.timeoutMs) : undefined;
    child.on("error", reject);
    child.on("close", (code) => {
      if (timer) clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: now() - t0 });
    });
  });
}

/**
 * Runs a built bench script (dist/bench/NAME.js) in a fresh Node process and parses the
 * one JSON object it prints on stdout.
 */
export async function runBenchChild<T>(
  name: string,
  args: readonly string[],
  nodeFlags: readonly string[] = [],
): Promise<T> {
  const r = await runCommand(process.execPath, [...nodeFlags, join(DIST_BENCH, `${name}.js`), ...args], {
    timeoutMs: 600_000,
  });
  if (r.code !== 0) throw new Error(`bench child ${name} ${args.join(" ")} exited ${r.code}: ${r.stderr}`);
  try {
    return JSON.parse(r.stdout) as T;
  } catch {
    throw new Error(
      `bench child ${name} printed no JSON: ${r.stdout.slice(0, 200)} ${r.stderr.slice(0, 500)}`,
    );
  }
}
