/**
 * sandflow for Node: everything in the platform-independent API, plus `createEngine()`
 * backed by worker threads and `loadWorkflowFile()` for files on disk.
 */

export * from "./index.js";
export { createEngine, defaultCacheDir, type NodeEngineOptions } from "./node/create-engine.js";
export type { StepQueueOptions } from "./node/postgres-step-queue.js";
export { PostgresStore, type PostgresStoreOptions } from "./node/postgres-store.js";
export { RemoteStepPool, type RemoteStepPoolOptions } from "./node/remote-step-pool.js";
export { createRemoteEngine, RunAdopter } from "./node/scale-out.js";
export { SqliteStore, type SqliteStoreOptions } from "./node/sqlite-store.js";
export { StepWorker, type StepWorkerOptions } from "./node/step-worker.js";
export { createWorkerLuaEvaluator, type WorkerLuaEvaluatorOptions } from "./node/worker-lua-evaluator.js";
export { type LoadWorkflowFileOptions, loadWorkflowFile } from "./node/workflow-file.js";
