/**
 * sandflow for Node: everything in the platform-independent API, plus `createEngine()`
 * backed by worker threads and `loadWorkflowFile()` for files on disk.
 */

export * from "./index.js";
export { createEngine, defaultCacheDir, type NodeEngineOptions } from "./node/create-engine.js";
export { SqliteStore, type SqliteStoreOptions } from "./node/sqlite-store.js";
export { createWorkerLuaEvaluator, type WorkerLuaEvaluatorOptions } from "./node/worker-lua-evaluator.js";
export { type LoadWorkflowFileOptions, loadWorkflowFile } from "./node/workflow-file.js";
