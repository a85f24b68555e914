/**
 * Measurements quoted in runtimes/shell/README.md. Skipped unless SANDFLOW_MEASURE=1:
 *   SANDFLOW_MEASURE=1 npx vitest run test/shell/measure.test.ts
 */
import { test } from "vitest";
import { buildRootFs, loadShellModule, runBusybox } from "../../runtimes/shell/index.js";
import { loadBusyboxWasm } from "../../runtimes/shell/node-assets.js";
import { runStep } from "./helpers.js";

const cases: [string, string][] = [
  ["simple command", "echo hi"],
  ["variable", "x=1; echo $x"],
  ["2-stage pipeline", "echo a b | wc -w"],
  ["command substitution", "echo $(echo x)"],
  ["5-stage pipeline", "echo hello | tr a-z A-Z | sed s/L/l/g | rev | wc -c"],
  ["yes \\| head -1", "yes | head -1"],
  ["seq 1 100000 \\| tail -1", "seq 1 100000 | tail -1"],
  ["100 $(...) in a loop", "i=0; while [ $i -lt 100 ]; do x=$(echo $i); i=$((i+1)); done"],
  ["awk, 100k loop iterations", "awk 'BEGIN{for(i=0;i<100000;i++) s+=i; print s}'"],
];

const ms = (x: number) => (x < 1 ? `${(x * 1000).toFixed(0)} us` : `${x.toFixed(2)} ms`);

test.runIf(process.env.SANDFLOW_MEASURE === "1")(
  "measure",
  async () => {
    // warm: let V8 optimize the host code and tier up busybox.wasm first
    for (let i = 0; i < 500; i++) await runStep("echo hi");
    const blocks: number[] = [];
    for (let b = 0; b < 5; b++) {
      const t0 = performance.now();
      for (let i = 0; i < 1000; i++) await runStep("echo 1");
      blocks.push((performance.now() - t0) / 1000);
    }
    blocks.sort((a, b) => a - b);
    console.log(
      `1000 trivial steps in a row (echo 1), median of 5 blocks: ${ms(blocks[2] as number)} per step`,
    );

    const rows: string[] = [];
    for (const [name, code] of cases) {
      for (let i = 0; i < 10; i++) await runStep(code); // warm up
      const times: number[] = [];
      for (let i = 0; i < 50; i++) {
        const r = await runStep(code);
        if (!r.outcome.ok) throw new Error(`${name}: ${r.outcome.error.message}`);
        times.push(r.ms);
      }
      times.sort((a, b) => a - b);
      rows.push(`| ${name} | ${ms(times[25] as number)} | ${ms(times[45] as number)} |`);
    }
    console.log(["| step (whole run() call) | median | p90 |", "| --- | --- | --- |", ...rows].join("\n"));

    const { module, applets } = await loadShellModule(await loadBusyboxWasm());
    const forkRuns: string[] = [];
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now();
      const r = await runBusybox(module, {
        args: ["sh", "-c", "i=0; while [ $i -lt 200 ]; do (:); i=$((i+1)); done"],
        env: [],
        fs: buildRootFs({}, 1 << 20, applets),
        memoryBytes: 256 << 20,
        processes: 16,
        outputBytes: 1 << 20,
        interrupted: () => false,
        waitCell: new Int32Array(new SharedArrayBuffer(4)),
      });
      const total = performance.now() - t0;
      forkRuns.push(
        `200 forks of a subshell: ${total.toFixed(1)} ms total (${((total / r.forks) * 1000).toFixed(0)} us per fork+exit+wait), ` +
          `fork itself ${((r.forkMs / r.forks) * 1000).toFixed(0)} us (reused instance; copies the used part of ${(r.rootMemoryBytes / 1024).toFixed(0)} KiB)`,
      );
    }
    console.log(forkRuns.join("\n"));
  },
  300_000,
);
