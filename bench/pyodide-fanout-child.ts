/**
 * A second control for the fan-out: the same CPU-bound Python steps in bare Pyodide, no
 * engine, in two worker threads of a fresh Node process started with the pool process's
 * V8 flags. Each sample loads two fresh interpreters from the engine's snapshot (as a fresh
 * engine's `prepare` does), then runs WIDTH steps on one lane and, on another fresh pair,
 * on two. t1/t2 is what wasm CPython itself gets from two cores here, engine or not.
 * Prints one JSON object ({@link PyodideFanoutSamples}) on stdout.
 *
 *   node FLAGS dist/bench/pyodide-fanout-child.js SNAPSHOT ITERATIONS WIDTH REPS
 */
import { readFileSync } from "node:fs";
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";
import { now } from "./util.js";
import { busyPython } from "./workloads.js";

/** What the child prints: per sample, concurrency 1 and 2 in ms. */
export interface PyodideFanoutSamples {
  readonly t1: number[];
  readonly t2: number[];
}

interface Lane {
  readonly worker: Worker;
  step(): Promise<void>;
}

async function freshLanes(snapshot: string, code: string): Promise<Lane[]> {
  const lanes = [0, 1].map(() => {
    const worker = new Worker(new URL(import.meta.url), { workerData: { snapshot, code } });
    const ready = new Promise<void>((resolve, reject) => {
      worker.once("message", () => resolve());
      worker.once("error", reject);
    });
    const step = () =>
      new Promise<void>((resolve) => {
        worker.once("message", () => resolve());
        worker.postMessage("step");
      });
    return { worker, ready, step };
  });
  await Promise.all(lanes.map((l) => l.ready));
  return lanes;
}

async function timeLanes(lanes: readonly Lane[], width: number): Promise<number> {
  let next = 0;
  const t0 = now();
  await Promise.all(
    lanes.map(async (lane) => {
      while (next < width) {
        next++;
        await lane.step();
      }
    }),
  );
  return now() - t0;
}

if (isMainThread) {
  const [snapshot = "", iterations, width, reps] = process.argv.slice(2);
  const code = busyPython(Number(iterations));
  const t1: number[] = [];
  const t2: number[] = [];
  for (let i = 0; i < Number(reps); i++) {
    for (const [count, into] of [
      [1, t1],
      [2, t2],
    ] as const) {
      const lanes = await freshLanes(snapshot, code);
      into.push(await timeLanes(lanes.slice(0, count), Number(width)));
      await Promise.all(lanes.map((l) => l.worker.terminate()));
    }
  }
  const result: PyodideFanoutSamples = { t1, t2 };
  process.stdout.write(`${JSON.stringify(result)}\n`);
} else {
  const { snapshot, code } = workerData as { snapshot: string; code: string };
  const { loadPyodide } = await import("pyodide");
  const py = await loadPyodide({ _loadSnapshot: new Uint8Array(readFileSync(snapshot)) } as Parameters<
    typeof loadPyodide
  >[0]);
  py.runPython(code);
  parentPort?.on("message", () => {
    py.runPython("run()");
    parentPort?.postMessage("done");
  });
  parentPort?.postMessage("ready");
}
