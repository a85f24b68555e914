/**
 * Native process-per-step baselines, run in a fresh Node process so that spawning is not
 * slowed by the parent's engines. Prints one JSON object on stdout.
 *
 *   node dist/bench/baseline-child.js steps STEPS REPS      # trivial steps per language
 *   node dist/bench/baseline-child.js fibo COUNT N REPS     # COUNT sequential python3 fibo(N)
 */
import { measureBaselines, pythonExecutable, runNative } from "./baselines.js";
import { now, repeat } from "./util.js";
import { fiboPython } from "./workloads.js";

/** What the fibo mode prints. */
export interface NativeFiboSamples {
  readonly python: string | null;
  readonly ms: number[];
}

const [mode, a, b, c] = process.argv.slice(2);
if (mode === "steps") {
  const result = await measureBaselines(Number(a), Number(b));
  process.stdout.write(`${JSON.stringify(result)}\n`);
} else if (mode === "fibo") {
  const python = pythonExecutable();
  const count = Number(a);
  const code = `${fiboPython(Number(b))}\nimport json\nprint(json.dumps(run()))\n`;
  const ms = python
    ? await repeat(Number(c), async () => {
        const t0 = now();
        for (let i = 0; i < count; i++) await runNative({ file: python, args: ["-c", code] });
        return now() - t0;
      })
    : [];
  const result: NativeFiboSamples = { python: python ?? null, ms };
  process.stdout.write(`${JSON.stringify(result)}\n`);
} else {
  throw new Error(`baseline-child: unknown mode ${mode}`);
}
