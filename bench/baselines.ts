/**
 * Workload 3: one native process per step, as the older hybrid engines run steps
 * (`python3 -c`, `bash -c`, `lua5.4 -e`), with one process per core at a time, in the
 * same run as the engine's figures.
 */
import { execFile, execFileSync } from "node:child_process";
import { CORES } from "./engines.js";
import type { Recorder } from "./recorder.js";
import { now, repeat } from "./util.js";

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

/**
 * The real Python executable: `python3` may be a version-manager shim (a shell script),
 * which would make the baseline slower than a plain install; the baseline uses the binary.
 */
export function pythonExecutable(): string | undefined {
  try {
    return execFileSync("python3", ["-c", "import sys; print(sys.executable)"], { encoding: "utf8" }).trim();
  } catch {
    return undefined;
  }
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

/** Process-per-step throughput for each installed interpreter. */
export async function benchBaselines(rec: Recorder, cfg: BaselineConfig): Promise<void> {
  const commands = nativeCommands();
  for (const language of ["python", "shell", "lua"] as const) {
    const cmd = commands[language];
    const label = `one ${cmd?.file ?? language} process per trivial step, ${CORES} at a time`;
    if (!cmd) {
      rec.gap(`baseline.${language}`, "Baselines", label, "steps/s", `no ${language} interpreter installed`);
      continue;
    }
    await processesPerSecond(cmd, Math.min(20, cfg.steps), CORES);
    const samples = await repeat(cfg.reps, () => processesPerSecond(cmd, cfg.steps, CORES));
    rec.add(`baseline.${language}`, "Baselines", label, samples, "steps/s");
  }
}
