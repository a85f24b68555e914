/**
 * sandflow's platform-independent API: workflow definitions, validation, the engine's
 * types, errors and schemas. `createEngine` comes from the platform entry (`sandflow` in
 * Node, `sandflow/browser` in a browser), which re-exports everything here.
 */
export {
  type BuilderStepOptions,
  defineWorkflow,
  type SubworkflowStepOptions,
  type WaitStepOptions,
  WorkflowBuilder,
  workflow,
} from "./core/builder.js";
export type {
  JournalEntry,
  RunRecord,
  RunSummary,
  StoredRunStatus,
} from "./core/durable/journal.js";
export { MemoryStore, type MemoryStoreOptions } from "./core/durable/memory-store.js";
export { InvalidSignalError, type SignalSent } from "./core/durable/signals.js";
export {
  type CachedStep,
  type Lease,
  type ListRunsQuery,
  RunNotFoundError,
  RunStateError,
  type Store,
  type StoredRun,
  type StoredSignal,
  StoreError,
} from "./core/durable/store.js";
export {
  type Engine,
  type EngineHost,
  type RerunOptions,
  RunHandle,
  type RunsQuery,
} from "./core/engine.js";
export {
  ConditionFalseError,
  ExpressionError,
  InvalidParamsError,
  InvalidResultError,
  MemoryLimitError,
  OutputLimitError,
  ProcessLimitError,
  ResultLimitError,
  rebuildError,
  SandflowError,
  type SerializedError,
  StepCancelledError,
  StepError,
  StepRuntimeError,
  StepTimeoutError,
  SubworkflowDepthError,
  SubworkflowFailedError,
  SubworkflowLimitError,
  serializeError,
  UpstreamFailedError,
  type ValidationIssue,
  WorkerCrashedError,
  WorkflowLoadError,
  WorkflowValidationError,
  WorkspaceLimitError,
} from "./core/errors.js";
export type { RunEvent, RunEventType } from "./core/events.js";
export { LANGUAGES, type Language } from "./core/languages.js";
export {
  detectFormat,
  type LuaWorkflowEvaluator,
  parseWorkflowSource,
  type WorkflowFormat,
} from "./core/loaders/parse-source.js";
export type { EngineOptions, ResolvedEngineOptions, RunOptions } from "./core/options.js";
export { parseParamArguments, resolveParams } from "./core/params.js";
export {
  type InvalidReport,
  invalidReportSchema,
  type RunReport,
  type RunStatus,
  runReportJsonSchema,
  runReportSchema,
  type StepReport,
  type StepStatus,
  stepReportSchema,
} from "./core/report.js";
export type { Result } from "./core/result.js";
export {
  type ParamSpec,
  type StepDefaults,
  type StepSpec,
  type WorkflowSpec,
  workflowJsonSchema,
  workflowSpecSchema,
} from "./core/schema.js";
export { TRIGGER_RULES, type TriggerRule } from "./core/trigger-rules.js";
export { parseWorkflow } from "./core/validate.js";
export type {
  ParamDefinition,
  StepDefinition,
  SubworkflowCall,
  WorkflowDefinition,
} from "./core/workflow.js";
