/**
 * The workflows the benchmark runs: trivial independent steps, chains, CPU-bound fan-out,
 * the Windmill fibo workload, and random DAGs of no-op steps for the scale test.
 */
import { defineWorkflow, type StepSpec, type WorkflowDefinition, type WorkflowSpec } from "../src/index.js";

export type BenchLanguage = "python" | "lua" | "shell";
/** Languages measured for warm throughput only (not part of the mixed workload, so it stays comparable). */
export type ExtraLanguage = "javascript" | "wasm";
export type LanguageMix = BenchLanguage | ExtraLanguage | "mixed";
/** The languages whose workers the per-step cost and memory sections measure (JavaScript has no target). */
export type WorkerLanguage = BenchLanguage | "javascript";

export const LANGUAGE_MIXES: readonly LanguageMix[] = [
  "python",
  "lua",
  "shell",
  "javascript",
  "wasm",
  "mixed",
];

/** A trivial step of the extra languages: JavaScript, and a wasm export returning 0 (an inline module). */
export const TRIVIAL_EXTRA: Readonly<Record<ExtraLanguage, StepSpec>> = {
  javascript: { language: "javascript", code: "function run(inputs) { return 1; }" },
  wasm: {
    language: "wasm",
    module: "data:application/wasm;base64,AGFzbQEAAAABBQFgAAF/AwIBAAcHAQNydW4AAAoGAQQAQQAL",
    func: "run",
  },
};

/** A trivial step per language; the same source for every step, so compiled code is cached. */
export const TRIVIAL: Readonly<Record<BenchLanguage, string>> = {
  python: "def run():\n    return 1\n",
  lua: "function run(inputs) return 1 end",
  shell: "echo 1",
};

const MIXED: readonly BenchLanguage[] = ["python", "lua", "shell"];

function languageAt(mix: BenchLanguage | "mixed", i: number): BenchLanguage {
  return mix === "mixed" ? (MIXED[i % 3] as BenchLanguage) : mix;
}

function isExtra(mix: LanguageMix): mix is ExtraLanguage {
  return mix === "javascript" || mix === "wasm";
}

/** `n` trivial steps with no dependencies. */
export function independentSteps(n: number, mix: LanguageMix): WorkflowDefinition {
  const steps: Record<string, StepSpec> = {};
  for (let i = 0; i < n; i++) {
    if (isExtra(mix)) {
      steps[`s${i}`] = TRIVIAL_EXTRA[mix];
      continue;
    }
    const language = languageAt(mix, i);
    steps[`s${i}`] = { language, code: TRIVIAL[language] };
  }
  return defineWorkflow({ name: `independent-${mix}-${n}`, steps });
}

/** `n` trivial steps, each depending on the one before. */
export function chain(n: number, mix: BenchLanguage | "mixed"): WorkflowDefinition {
  const steps: Record<string, StepSpec> = {};
  for (let i = 0; i < n; i++) {
    const language = languageAt(mix, i);
    steps[`s${i}`] = {
      language,
      code: TRIVIAL[language],
      ...(i > 0 ? { depends_on: [`s${i - 1}`] } : {}),
    };
  }
  return defineWorkflow({ name: `chain-${mix}-${n}`, steps });
}

/** Python source of a CPU-bound loop of `iterations` rounds (no allocation, no I/O). */
export function busyPython(iterations: number): string {
  return [
    "def run():",
    "    x = 0",
    `    for i in range(${iterations}):`,
    "        x = (x * 31 + i) % 1000003",
    "    return x",
    "",
  ].join("\n");
}

/** `width` independent CPU-bound Python steps. */
export function fanout(width: number, iterations: number): WorkflowDefinition {
  const steps: Record<string, StepSpec> = {};
  for (let i = 0; i < width; i++) steps[`busy${i}`] = { language: "python", code: busyPython(iterations) };
  return defineWorkflow({ name: `fanout-${width}`, steps });
}

/** Recursive fibonacci in Python, as in Windmill's benchmark. */
export function fiboPython(n: number): string {
  return [
    "def fibo(n):",
    "    return n if n < 2 else fibo(n - 1) + fibo(n - 2)",
    "",
    "def run():",
    `    return fibo(${n})`,
    "",
  ].join("\n");
}

/** `count` sequential Python steps, each computing fibo(`n`). */
export function fiboChain(count: number, n: number): WorkflowDefinition {
  const steps: Record<string, StepSpec> = {};
  for (let i = 0; i < count; i++) {
    steps[`fibo${i}`] = {
      language: "python",
      code: fiboPython(n),
      ...(i > 0 ? { depends_on: [`fibo${i - 1}`] } : {}),
    };
  }
  return defineWorkflow({ name: `fibo${n}-x${count}`, steps });
}

/** A small deterministic random generator (mulberry32), so DAGs are the same every run. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A random DAG of `n` no-op Lua steps as a raw spec (not yet validated): step i depends on
 * up to `maxDeps` steps among the `window` before it, so depth and fan-in stay bounded
 * the way real workflows are, while the graph is still irregular.
 */
export function randomDagSpec(n: number, seed = 1, maxDeps = 3, window = 50): WorkflowSpec {
  const rand = seededRandom(seed);
  const steps: Record<string, StepSpec> = {};
  for (let i = 0; i < n; i++) {
    const deps = new Set<string>();
    if (i > 0) {
      const k = Math.floor(rand() * (maxDeps + 1));
      for (let j = 0; j < k; j++) deps.add(`n${Math.max(0, i - 1 - Math.floor(rand() * window))}`);
    }
    steps[`n${i}`] = {
      language: "lua",
      code: "function run(inputs) return 1 end",
      ...(deps.size > 0 ? { depends_on: [...deps] } : {}),
    };
  }
  return { name: `random-dag-${n}`, steps };
}
