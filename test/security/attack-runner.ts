/**
 * The attack tables' shape and the runner: each attack is one step in a run of its own on
 * a shared engine, followed by a second run whose two steps must still succeed. Every
 * attack is checked for containment: the canaries never show up in a report, stdout,
 * stderr or event, no file appears on the host, the counting servers see no connection,
 * no output says ESCAPED, and the step ends the way the table says. The engine under
 * attack is the real `createEngine()` with small limits, so bombs are cheap.
 */
import { existsSync } from "node:fs";
import { expect } from "vitest";
import { defineWorkflow } from "../../src/core/builder.js";
import type { Engine } from "../../src/core/engine.js";
import type { RunEvent } from "../../src/core/events.js";
import type { RunReport, StepReport } from "../../src/core/report.js";
import { createEngine } from "../../src/node/create-engine.js";
import type { AttackContext, SecurityEnv } from "./security-env.js";
import { withPeakRss } from "./security-env.js";

/** Limits of the engine under attack. */
export const SECURITY_LIMITS = {
  threads: 2,
  timeout: 20,
  memory: 256,
  outputLimit: 64 * 1024,
  resultLimit: 256 * 1024,
  processLimit: 16,
  workspaceLimit: 4 * 1024 * 1024,
} as const;

/** Set SECURITY_SHOW_HOLES=1 to run known holes as plain tests and see how they fail. */
export const SHOW_HOLES = process.env.SECURITY_SHOW_HOLES === "1";

/** Where the engine's workers run. `undefined`: the default (process isolation). */
export type Isolation = "process" | "thread" | undefined;

/** The engine under attack. */
export function securityEngine(isolation: Isolation, threads: number = SECURITY_LIMITS.threads): Engine {
  return createEngine({ ...SECURITY_LIMITS, threads, ...(isolation ? { isolation } : {}) });
}

export type AttackLanguage = "python" | "lua" | "shell" | "javascript" | "wasm";

export type Category =
  | "host-files"
  | "host-env"
  | "processes"
  | "network"
  | "js-bridge"
  | "engine-objects"
  | "prototype-pollution"
  | "timeout"
  | "memory"
  | "output"
  | "result"
  | "recursion"
  | "fork-bomb"
  | "bytecode"
  | "string-bomb"
  | "workspace";

/** One attack and what containment looks like for it. */
export interface Attack {
  readonly name: string;
  readonly category: Category;
  readonly language: AttackLanguage;
  /** The step's code; gets the canary paths, ports and this attack's write target. */
  readonly code: (ctx: AttackContext) => string;
  /** Error names the step may fail with. Default: StepRuntimeError. */
  readonly errors?: readonly string[];
  /** The step may also succeed (its output is then checked). Default: false. */
  readonly mayPass?: boolean;
  /** The step must end within this many ms (measured from its start). */
  readonly maxMs?: number;
  /** Growth of resident memory (this process and its children) allowed while it runs. */
  readonly maxRssGrowth?: number;
  /** Step settings. */
  readonly step?: {
    readonly timeout?: number;
    readonly memory?: number;
    readonly env?: Record<string, string>;
    /** wasm steps: the export to call (the module is the attack's `code`). */
    readonly func?: string;
  };
  /** Extra checks of the attack step's report. */
  readonly check?: (step: StepReport) => void;
  /** Part of the subset also run with `isolation: "thread"`. */
  readonly thread?: boolean;
  /** A known hole: the test is marked `it.fails` with this explanation. */
  readonly hole?: string;
}

/** Everything one attack produced. */
export interface AttackResult {
  readonly report: RunReport;
  readonly step: StepReport;
  readonly after: RunReport;
  readonly events: RunEvent[];
  readonly peakGrowth: number;
}

const ALIVE: Record<Exclude<AttackLanguage, "wasm">, string> = {
  python: "def run():\n    return 'alive'",
  lua: "function run() return 'alive' end",
  shell: "echo '\"alive\"'",
  javascript: "function run() { return 'alive'; }",
};
/** The harmless steps after an attack (wasm outputs are not 'alive': JavaScript stands in). */
const aliveLanguage = (l: AttackLanguage) => (l === "wasm" ? "javascript" : l);

/** A file-name-safe form of an attack's name. */
export function slug(name: string): string {
  return name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-|-$/g, "")
    .slice(0, 60);
}

/** Runs the attack in a run of its own, then a run of two harmless steps. */
export async function runAttack(engine: Engine, env: SecurityEnv, attack: Attack): Promise<AttackResult> {
  const ctx = env.context(slug(`${attack.language}-${attack.name}`));
  const events: RunEvent[] = [];
  const onEvent = (e: RunEvent) => events.push(e);
  const workflow = defineWorkflow({
    name: `attack-${slug(attack.name)}`,
    steps: {
      attack: {
        language: attack.language,
        ...(attack.language === "wasm" ? { module: attack.code(ctx) } : { code: attack.code(ctx) }),
        ...attack.step,
      },
    },
  });
  const { value: report, peak, before } = await withPeakRss(() => engine.run(workflow, { onEvent }));
  const after = await engine.run(
    defineWorkflow({
      name: "after",
      concurrency: 2,
      steps: {
        after1: { language: aliveLanguage(attack.language), code: ALIVE[aliveLanguage(attack.language)] },
        after2: { language: aliveLanguage(attack.language), code: ALIVE[aliveLanguage(attack.language)] },
      },
    }),
    { onEvent },
  );
  return { report, step: report.steps.attack as StepReport, after, events, peakGrowth: peak - before };
}

/** Checks the containment of one attack. */
export function assertContained(env: SecurityEnv, attack: Attack, result: AttackResult): void {
  const ctx = env.context(slug(`${attack.language}-${attack.name}`));
  const seen = JSON.stringify([result.report, result.after, result.events]);
  expect(seen, "the file canary leaked").not.toContain(env.fileCanary);
  expect(seen, "the env canary leaked").not.toContain(env.envCanary);
  expect(existsSync(ctx.writeTarget), `${ctx.writeTarget} was created`).toBe(false);
  expect(env.strayFiles(), "files appeared in the canary folder").toEqual([]);
  expect(env.connections(), "the host servers were reached").toEqual({ http: 0, tcp: 0 });
  const step = result.step;
  expect(JSON.stringify(step.output ?? null)).not.toContain("ESCAPED");
  if (step.status === "succeeded") {
    expect(attack.mayPass, `the attack step succeeded: ${JSON.stringify(step.output)}`).toBe(true);
  } else {
    expect(step.status).toBe("failed");
    expect(attack.errors ?? ["StepRuntimeError"], `${step.error?.name}: ${step.error?.message}`).toContain(
      step.error?.name,
    );
  }
  if (attack.maxMs !== undefined) expect(step.durationMs ?? Infinity).toBeLessThanOrEqual(attack.maxMs);
  if (attack.maxRssGrowth !== undefined) expect(result.peakGrowth).toBeLessThanOrEqual(attack.maxRssGrowth);
  attack.check?.(step);
  for (const id of ["after1", "after2"]) {
    const s = result.after.steps[id];
    expect(s?.status, `${id} after the attack: ${s?.error?.name} ${s?.error?.message}`).toBe("succeeded");
    expect(s?.output).toBe("alive");
  }
}

/** Short form of a step's end, for failure messages. */
export function describeStep(step: StepReport): string {
  let output: string;
  try {
    output = JSON.stringify(step.output) ?? "undefined";
  } catch (e) {
    output = `(output not serialisable: ${(e as Error).message})`;
  }
  return `${step.status} ${step.error?.name ?? ""} ${(step.error?.message ?? output).slice(0, 300)}`;
}
