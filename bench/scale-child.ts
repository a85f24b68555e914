/**
 * One scale measurement in a fresh process (run with --expose-gc): validate a random DAG
 * of N no-op steps with parseWorkflow, then schedule it with the core Engine over the
 * benchmark's instant in-process pool. Prints one JSON object on stdout.
 *
 *   node --expose-gc dist/bench/scale-child.js N [concurrency]
 */
import { parseWorkflow } from "../src/index.js";
import { engineOver, InstantStepPool } from "./instant-pool.js";
import { now } from "./util.js";
import { randomDagSpec } from "./workloads.js";

/** What the child prints. */
export interface ScaleSample {
  readonly n: number;
  readonly edges: number;
  readonly validateMs: number;
  readonly scheduleMs: number;
  /** Heap retained by the validated workflow (MB). */
  readonly validateHeapMb: number;
  /** Heap retained by the run's report after scheduling (MB). */
  readonly reportHeapMb: number;
  /** Peak resident set of the process (MB). */
  readonly peakRssMb: number;
}

const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});
const heapMb = (): number => {
  gc();
  gc();
  return process.memoryUsage().heapUsed / 1048576;
};

const n = Number(process.argv[2] ?? 1000);
const concurrency = Number(process.argv[3] ?? 256);
const spec = randomDagSpec(n);
const edges = Object.values(spec.steps).reduce((sum, s) => sum + (s.depends_on?.length ?? 0), 0);
const heap0 = heapMb();
const t0 = now();
const parsed = parseWorkflow(spec, { source: "scale" });
const validateMs = now() - t0;
if (!parsed.ok) throw parsed.error;
const heap1 = heapMb();
const pool = new InstantStepPool(2);
const engine = engineOver(pool, 2);
const t1 = now();
const report = await engine.run(parsed.value, { concurrency });
const scheduleMs = now() - t1;
if (report.status !== "succeeded" || pool.calls !== n)
  throw new Error(`scale run: ${report.status}, ${pool.calls} calls`);
const heap2 = heapMb();
const sample: ScaleSample = {
  n,
  edges,
  validateMs,
  scheduleMs,
  validateHeapMb: heap1 - heap0,
  reportHeapMb: heap2 - heap1,
  peakRssMb: process.resourceUsage().maxRSS / 1024,
};
process.stdout.write(`${JSON.stringify(sample)}\n`);
