/**
 * Measurements quoted in runtimes/shell/README.md. Skipped unless SANDFLOW_MEASURE=1:
 *   SANDFLOW_MEASURE=1 npx vitest run test/shell/measure.test.ts
 */
import { test } from "vitest";
import { runStep } from "./helpers.js";

const cases: [string, string][] = [
  ["simple command", "echo hi"],
  ["variable", "x=1; echo $x"],
  ["2-stage pipeline", "echo a b | wc -w"],
  ["command substitution", "echo $(echo x)"],
  ["5-stage pipeline", "echo hello | tr a-z A-Z | sed s/L/l/g | rev | wc -c"],
  ["yes | head -1", "yes | head -1"],
  ["seq 1 100000 | tail -1", "seq 1 100000 | tail -1"],
  ["100 forks ($(...) in a loop)", "i=0; while [ $i -lt 100 ]; do x=$(echo $i); i=$((i+1)); done"],
  ["awk 1e5 iterations", "awk 'BEGIN{for(i=0;i<100000;i++) s+=i; print s}'"],
];

test.runIf(process.env.SANDFLOW_MEASURE === "1")(
  "measure",
  async () => {
    const rows: string[] = [];
    for (const [name, code] of cases) {
      for (let i = 0; i < 3; i++) await runStep(code); // warm up
      const times: number[] = [];
      for (let i = 0; i < 30; i++) {
        const r = await runStep(code);
        if (!r.outcome.ok) throw new Error(`${name}: ${r.outcome.error.message}`);
        times.push(r.ms);
      }
      times.sort((a, b) => a - b);
      rows.push(
        `| ${name} | ${(times[15] as number).toFixed(2)} ms | ${(times[27] as number).toFixed(2)} ms |`,
      );
    }
    console.log(["| step | median | p90 |", "| --- | --- | --- |", ...rows].join("\n"));
  },
  300_000,
);
