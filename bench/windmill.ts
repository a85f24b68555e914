/**
 * Workload 6: Windmill's benchmark. 40 sequential Python steps each computing fibo(10)
 * (total time, dominated by per-step overhead) and 10 sequential steps computing fibo(33)
 * (dominated by the interpreter's speed), on a prepared engine; the same as one native
 * `python3 -c` process per step, in the same run.
 */
import { pythonExecutable, runNative } from "./baselines.js";
import { timedFreshRun } from "./engines.js";
import type { Recorder } from "./recorder.js";
import { now, repeat } from "./util.js";
import { fiboChain, fiboPython } from "./workloads.js";

/** Settings of the Windmill workload. */
export interface WindmillConfig {
  readonly reps: number;
  /** fibo(33) runs take several seconds each; 0 leaves them out. */
  readonly heavyReps: number;
}

const SECTION = "Windmill workload";

async function nativeChain(python: string, count: number, n: number): Promise<number> {
  const code = `${fiboPython(n)}\nimport json\nprint(json.dumps(run()))\n`;
  const t0 = now();
  for (let i = 0; i < count; i++) await runNative({ file: python, args: ["-c", code] });
  return now() - t0;
}

/** Times both chains on the engine and as native processes. */
export async function benchWindmill(rec: Recorder, cfg: WindmillConfig): Promise<void> {
  const python = pythonExecutable();
  const cases = [
    { count: 40, n: 10, reps: cfg.reps },
    { count: 10, n: 33, reps: cfg.heavyReps },
  ];
  for (const { count, n, reps } of cases) {
    if (reps === 0) {
      rec.gap(
        `windmill.fibo${n}`,
        SECTION,
        `${count} sequential Python steps, fibo(${n})`,
        "ms",
        "left out in --quick",
      );
      continue;
    }
    const workflow = fiboChain(count, n);
    const runs = await repeat(reps, () => timedFreshRun(workflow, 1));
    const out = runs[0]?.report.steps.fibo0?.output;
    rec.add(
      `windmill.fibo${n}`,
      SECTION,
      `${count} sequential Python steps, fibo(${n}), sandflow`,
      runs.map((r) => r.ms),
      "ms",
      `prepared engine; fibo(${n}) = ${JSON.stringify(out)}`,
    );
    if (!python) {
      rec.gap(
        `windmill.fibo${n}.native`,
        SECTION,
        `${count} python3 processes`,
        "ms",
        "python3 not installed",
      );
      continue;
    }
    const native = await repeat(reps, () => nativeChain(python, count, n));
    rec.add(
      `windmill.fibo${n}.native`,
      SECTION,
      `${count} sequential python3 -c processes, fibo(${n})`,
      native,
      "ms",
      python,
    );
  }
}
