/**
 * for_each throughput: one step over 10,000 trivial Lua items against 10,000 independent
 * trivial Lua steps in one run, interleaved so that load changes hit both alike.
 */
import { defineWorkflow } from "../src/core/builder.js";
import { timedFreshRun } from "./engines.js";
import type { Recorder } from "./recorder.js";
import { log } from "./util.js";
import { independentSteps } from "./workloads.js";

/** Settings of the for_each workload. */
export interface ForEachConfig {
  readonly items: number;
  readonly reps: number;
  readonly concurrency: number;
}

/** Runs both workloads `reps` times and records steps/s and their ratio. */
export async function benchForEach(rec: Recorder, cfg: ForEachConfig): Promise<void> {
  const steps = independentSteps(cfg.items, "lua");
  const fan = defineWorkflow({
    name: `for-each-lua-${cfg.items}`,
    params: { n: { type: "integer", default: cfg.items } },
    steps: {
      // The list is built by a step, as a real fan-out's is (a list of n numbers).
      list: {
        language: "lua",
        code: "function run() local t = {} for i = 1, sandflow.params.n do t[i] = i end return t end",
      },
      fan: {
        language: "lua",
        depends_on: ["list"],
        for_each: "inputs.list",
        code: "function run() return sandflow.item end",
      },
    },
  });
  const fanRates: number[] = [];
  const stepRates: number[] = [];
  for (let i = 0; i < cfg.reps; i++) {
    const a = await timedFreshRun(steps, cfg.concurrency);
    stepRates.push((cfg.items / a.ms) * 1000);
    const b = await timedFreshRun(fan, cfg.concurrency);
    const out = b.report.steps.fan?.output as unknown[] | undefined;
    if (out?.length !== cfg.items) throw new Error(`for_each gave ${out?.length} outputs, not ${cfg.items}`);
    fanRates.push(((cfg.items + 1) / b.ms) * 1000);
    log(
      `for_each rep ${i + 1}: ${Math.round(fanRates.at(-1) ?? 0)} items/s vs ${Math.round(stepRates.at(-1) ?? 0)} steps/s`,
    );
  }
  const section = "for_each";
  const fan_ = rec.add(
    "foreach.items",
    section,
    `for_each over ${cfg.items} trivial Lua items`,
    fanRates,
    "steps/s",
  );
  const steps_ = rec.add(
    "foreach.steps",
    section,
    `${cfg.items} independent trivial Lua steps`,
    stepRates,
    "steps/s",
  );
  rec.add("foreach.ratio", section, "for_each items / independent steps throughput", fan_ / steps_, "x");
}
