import { Worker } from "node:worker_threads";
const t0 = performance.now();
const w = new Worker(new URL("./dist/runtimes/worker/node-worker.js", import.meta.url), { workerData: {} });
w.on("online", () => console.log("online", Math.round(performance.now() - t0)));
w.on("error", (e) => console.log("err", e));
setTimeout(() => w.terminate(), 1500);
