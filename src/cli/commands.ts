/** What each CLI command does, returning its exit code. */
import { InvalidParamsError, WorkflowValidationError } from "../core/errors.js";
import { type GraphFormat, renderGraph } from "../core/graph-render.js";
import { parseParamArguments } from "../core/params.js";
import type { InvalidReport } from "../core/report.js";
import type { WorkflowDefinition } from "../core/workflow.js";
import { createEngine } from "../node/create-engine.js";
import { loadWorkflowFile } from "../node/workflow-file.js";
import { EXIT } from "./exit-codes.js";
import { followRun, secretsFromEnv } from "./follow-run.js";
import { openStore, type StoreOption, usageFailure } from "./store-commands.js";
import { terminalSafe, terminalSafeLine } from "./terminal-safe.js";

export { EXIT } from "./exit-codes.js";

/** Prints the `--json` report of a workflow or params that cannot run. */
function printInvalid(error: Error): void {
  const report: InvalidReport = {
    status: "invalid",
    error: {
      name: error.name,
      message: error.message,
      ...(error instanceof WorkflowValidationError || error instanceof InvalidParamsError
        ? { issues: [...error.issues] }
        : {}),
    },
  };
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
}

async function load(file: string, json: boolean): Promise<WorkflowDefinition | undefined> {
  const result = await loadWorkflowFile(file);
  if (result.ok) return result.value;
  const error = result.error;
  if (json) printInvalid(error);
  process.stderr.write(`sandflow: ${terminalSafe(error.message)}\n`);
  return undefined;
}

/** Options of `sandflow run`. */
export interface RunCommandOptions {
  readonly json?: boolean;
  readonly concurrency?: number;
  readonly threads?: number;
  readonly failFast?: boolean;
  readonly timeout?: number;
  readonly memory?: number;
  readonly progress?: "auto" | "live" | "plain" | "none";
  /** `--store PATH`; false with `--no-store`. Default: the default store. */
  readonly store?: StoreOption;
  /** Names of host environment variables given to the engine as secrets (`--secret NAME`). */
  readonly secret?: readonly string[];
  /** `--rate-limit key=n/unit`: the engine's rate limits. */
  readonly rateLimit?: Readonly<Record<string, string>>;
  /** `--max-for-each-items n`: the engine's `maxForEachItems`. */
  readonly maxForEachItems?: number;
  /** `--param name=value`, repeatable. */
  readonly param?: readonly string[];
  /** `--params '<json object>'`. */
  readonly params?: string;
}

/** `sandflow run FILE`. */
export async function runCommand(file: string, options: RunCommandOptions): Promise<number> {
  const secrets = secretsFromEnv(options.secret);
  if (!secrets.ok) {
    process.stderr.write(`sandflow: ${secrets.error}\n`);
    return EXIT.INVALID;
  }
  const params = parseParamArguments(options.param, options.params);
  if (!params.ok) {
    process.stderr.write(`sandflow: ${params.error}\n`);
    return EXIT.INVALID;
  }
  // The engine first: its pool process starts while the workflow file is read.
  // --timeout and --memory are the defaults and the ceilings of the run's steps.
  let store: Awaited<ReturnType<typeof openStore>> | undefined;
  try {
    if (options.store !== false) store = await openStore(options.store, true);
  } catch (e) {
    return usageFailure(e);
  }
  const engine = createEngine({
    store: store ?? false,
    ...(options.threads ? { threads: options.threads } : {}),
    ...(options.timeout ? { timeout: options.timeout } : {}),
    ...(options.memory ? { memory: options.memory } : {}),
    secrets: secrets.value,
    ...(options.rateLimit ? { rateLimits: options.rateLimit } : {}),
    ...(options.maxForEachItems ? { maxForEachItems: options.maxForEachItems } : {}),
    onNotice: (message) => process.stderr.write(`sandflow: ${message}\n`),
  });
  const workflow = await load(file, options.json === true);
  if (!workflow) {
    await engine.close();
    return EXIT.INVALID;
  }
  try {
    return await followRun(
      (runOptions) => engine.start(workflow, { ...runOptions, params: params.value }),
      options,
    );
  } catch (e) {
    if (e instanceof InvalidParamsError && options.json) printInvalid(e);
    return usageFailure(e);
  } finally {
    await engine.close();
  }
}

/** `sandflow validate FILE`. */
export async function validateCommand(file: string, options: { json?: boolean }): Promise<number> {
  const workflow = await load(file, options.json === true);
  if (!workflow) return EXIT.INVALID;
  const languages = new Map<string, number>();
  for (const s of workflow.steps) {
    const kind = s.wait ? "waiting" : s.subworkflow ? "sub-workflow" : s.language;
    languages.set(kind, (languages.get(kind) ?? 0) + 1);
  }
  if (options.json) {
    process.stdout.write(
      `${JSON.stringify({ status: "valid", workflow: workflow.name, steps: workflow.steps.map((s) => s.id) }, null, 2)}\n`,
    );
  } else {
    const mix = [...languages].map(([l, n]) => `${n} ${l}`).join(", ");
    const children = Object.keys(workflow.subworkflows ?? {});
    const using = children.length > 0 ? `; sub-workflows: ${children.map(terminalSafeLine).join(", ")}` : "";
    process.stdout.write(
      `${file}: valid workflow '${terminalSafeLine(workflow.name)}' with ${workflow.steps.length} ${workflow.steps.length === 1 ? "step" : "steps"} (${mix})${using}\n`,
    );
  }
  return EXIT.OK;
}

/** `sandflow graph FILE`. */
export async function graphCommand(file: string, options: { format?: GraphFormat }): Promise<number> {
  const workflow = await load(file, false);
  if (!workflow) return EXIT.INVALID;
  process.stdout.write(renderGraph(workflow, options.format ?? "mermaid"));
  return EXIT.OK;
}
