/**
 * Workload 3: one native process per step, as the older hybrid engines run steps
 * (`python3 -c`, `bash -c`, `lua5.4 -e`), with one process per core at a time, in the
 * same run as the engine's figures.
 */
import { execFile, execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { CORES } from "./engines.js";
import type { Recorder } from "./recorder.js";
import { now, repeat, runBenchChild } from "./util.js";

const SECTION = "Baselines";

/** Settings of the baselines. */
export interface BaselineConfig {
  readonly steps: number;
  readonly reps: number;
}

/** A native command line per language, or undefined when the interpreter is not installed. */
export interface NativeCommand {
  readonly file: string;
  readonly args: readonly string[];
}

function which(candidates: readonly string[], probe: readonly string[]): string | undefined {
  for (const c of candidates) {
    try {
      execFileSync(c, probe, { stdio: "ignore" });
      return c;
    } catch {
      // not installed
    }
  }
  return undefined;
}

/** Milliseconds of the fastest of a few runs of `file args`, or undefined when it fails. */
function startupMs(file: string, args: readonly string[]): number | undefined {
  let best = Number.POSITIVE_INFINITY;
  try {
    for (let i = 0; i < 3; i++) {
      const t0 = now();
      execFileSync(file, args, { stdio: "ignore" });
      best = Math.min(best, now() - t0);
    }
    return best;
  } catch {
    return undefined;
  }
}

/**
 * The Python the baseline runs: the binary behind `python3` on PATH (which may be a
 * version-manager shim, a shell script) or the system's /usr/bin/python3, whichever starts
 * faster, so the comparison favours the baseline.
 */
export function pythonExecutable(): string | undefined {
  const candidates: string[] = [];
  try {
    const exe = execFileSync("python3", ["-c", "import sys; print(sys.executable)"], { encoding: "utf8" });
    candidates.push(exe.trim());
  } catch {
    // no python3 on PATH
  }
  if (existsSync("/usr/bin/python3")) candidates.push("/usr/bin/python3");
  let best: { file: string; ms: number } | undefined;
  for (const file of new Set(candidates)) {
    const ms = startupMs(file, ["-c", "import json"]);
    if (ms !== undefined && (!best || ms < best.ms)) best = { file, ms };
  }
  return best?.file;
}

/** The trivial step as a native process per language. */
export function nativeCommands(): Record<"python" | "shell" | "lua", NativeCommand | undefined> {
  const python = pythonExecutable();
  const lua = which(["lua5.4", "lua"], ["-e", ""]);
  return {
    python: python ? { file: python, args: ["-c", "import json; print(json.dumps(1))"] } : undefined,
    shell: { file: "bash", args: ["-c", "echo 1"] },
    lua: lua ? { file: lua, args: ["-e", "print(1)"] } : undefined,
  };
}

/** Runs a command to its end; rejects on a non-zero exit. */
export function runNative(cmd: NativeCommand): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd.file, [...cmd.args], { env: {} }, (error, stdout) =>
      error ? reject(error) : resolve(stdout),
    );
  });
}

/** Runs `steps` processes, `lanes` at a time; returns processes per second. */
export async function processesPerSecond(cmd: NativeCommand, steps: number, lanes: number): Promise<number> {
  let next = 0;
  const t0 = now();
  const lane = async () => {
    while (next < steps) {
      next++;
      await runNative(cmd);
    }
  };
  await Promise.all(Array.from({ length: lanes }, lane));
  return (steps / (now() - t0)) * 1000;
}

/** What bench/baseline-child.ts prints for the trivial steps. */
export interface BaselineSamples {
  readonly files: Record<NativeLanguage, string | null>;
  readonly samples: Record<NativeLanguage, number[] | null>;
}

export type NativeLanguage = "python" | "shell" | "lua";

/** Measures each installed interpreter (call in a lean process: see the module comment). */
export async function measureBaselines(steps: number, reps: number): Promise<BaselineSamples> {
  const commands = nativeCommands();
  const files = { python: null, shell: null, lua: null } as BaselineSamples["files"];
  const samples = { python: null, shell: null, lua: null } as BaselineSamples["samples"];
  for (const language of ["python", "shell", "lua"] as const) {
    const cmd = commands[language];
    if (!cmd) continue;
    files[language] = cmd.file;
    await processesPerSecond(cmd, Math.min(20, steps), CORES);
    samples[language] = await repeat(reps, () => processesPerSecond(cmd, steps, CORES));
  }
  return { files, samples };
}

/**
 * Process-per-step throughput for each installed interpreter. Spawned from a fresh Node
 * process: a host that has run engines holds large wasm reservations, which makes every
 * fork several times slower and would flatter the engine.
 */
export async function benchBaselines(rec: Recorder, cfg: BaselineConfig): Promise<void> {
  const r = await runBenchChild<BaselineSamples>("baseline-child", [
    "steps",
    String(cfg.steps),
    String(cfg.reps),
  ]);
  for (const language of ["python", "shell", "lua"] as const) {
    const file = r.files[language];
    const samples = r.samples[language];
    const label = `one ${file ?? language} process per trivial step, ${CORES} at a time`;
    if (!samples)
      rec.gap(`baseline.${language}`, SECTION, label, "steps/s", `no ${language} interpreter installed`);
    else
      rec.add(
        `baseline.${language}`,
        SECTION,
        label,
        samples,
        "steps/s",
        "spawned from a fresh Node process",
      );
  }
}
