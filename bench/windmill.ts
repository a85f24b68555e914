/**
 * Workload 6: Windmill's benchmark. 40 sequential Python steps each computing fibo(10)
 * (total time, dominated by per-step overhead) and 10 sequential steps computing fibo(33)
 * (dominated by the interpreter's speed), on a prepared engine; the same as one native
 * `python3 -c` process per step, in the same run.
 */
import type { NativeFiboSamples } from "./baseline-child.js";
import { timedFreshRun } from "./engines.js";
import type { Recorder } from "./recorder.js";
import { repeat, runBenchChild } from "./util.js";
import { fiboChain } from "./workloads.js";

/** Settings of the Windmill workload. */
export interface WindmillConfig {
  readonly reps: number;
  /** fibo(33) runs take several seconds each; 0 leaves them out. */
  readonly heavyReps: number;
}

const SECTION = "Windmill workload";

/** Times both chains on the engine and as native processes. */
export async function benchWindmill(rec: Recorder, cfg: WindmillConfig): Promise<void> {
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
    const native = await runBenchChild<NativeFiboSamples>("baseline-child", [
      "fibo",
      String(count),
      String(n),
      String(reps),
    ]);
    const label = `${count} sequential python3 -c processes, fibo(${n})`;
    if (!native.python) rec.gap(`windmill.fibo${n}.native`, SECTION, label, "ms", "python3 not installed");
    else rec.add(`windmill.fibo${n}.native`, SECTION, label, native.ms, "ms", native.python);
  }
}
