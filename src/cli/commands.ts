/** What each CLI command does, returning its exit code. */
import { WorkflowValidationError } from "../core/errors.js";
import { type GraphFormat, renderGraph } from "../core/graph-render.js";
import type { InvalidReport } from "../core/report.js";
import type { WorkflowDefinition } from "../core/workflow.js";
import { createEngine } from "../node/create-engine.js";
import { loadWorkflowFile } from "../node/workflow-file.js";
import { EXIT } from "./exit-codes.js";
import { followRun, secretsFromEnv } from "./follow-run.js";
import { openStore, type StoreOption, usageFailure } from "./store-commands.js";
import { terminalSafe, terminalSafeLine } from "./terminal-safe.js";

export { EXIT } from "./exit-codes.js";

async function load(file: string, json: boolean): Promise<WorkflowDefinition | undefined> {
  const result = await loadWorkflowFile(file);
  if (result.ok) return result.value;
  const error = result.error;
  if (json) {
    const report: InvalidReport = {
      status: "invalid",
      error: {
        name: error.name,
        message: error.message,
        ...(error instanceof WorkflowValidationError ? { issues: [...error.issues] } : {}),
      },
    };
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  }
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
}

/** `sandflow run FILE`. */
export async function runCommand(file: string, options: RunCommandOptions): Promise<number> {
  const secrets = secretsFromEnv(options.secret);
  if (!secrets.ok) {
    process.stderr.write(`sandflow: ${secrets.error}\n`);
    return EXIT.INVALID;
  }
  // The engine first: its pool process starts while the workflow file is read.
  // --timeout and --memory are the defaults and the ceilings of the run's steps.
  let store: Awaited<ReturnType<typeof openStore>> | undefined;
  try {
    if (options.store !== false) store = await openStore(options.store);
  } catch (e) {
    return usageFailure(e);
  }
  const engine = createEngine({
    store: store ?? false,
    ...(options.threads ? { threads: options.threads } : {}),
    ...(options.timeout ? { timeout: options.timeout } : {}),
    ...(options.memory ? { memory: options.memory } : {}),
    secrets: secrets.value,
    onNotice: (message) => process.stderr.write(`sandflow: ${message}\n`),
  });
  const workflow = await load(file, options.json === true);
  if (!workflow) {
    await engine.close();
    return EXIT.INVALID;
  }
  try {
    return await followRun((runOptions) => engine.start(workflow, runOptions), options);
  } catch (e) {
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
  for (const s of workflow.steps) languages.set(s.language, (languages.get(s.language) ?? 0) + 1);
  if (options.json) {
    process.stdout.write(
      `${JSON.stringify({ status: "valid", workflow: workflow.name, steps: workflow.steps.map((s) => s.id) }, null, 2)}\n`,
    );
  } else {
    const mix = [...languages].map(([l, n]) => `${n} ${l}`).join(", ");
    process.stdout.write(
      `${file}: valid workflow '${terminalSafeLine(workflow.name)}' with ${workflow.steps.length} steps (${mix})\n`,
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
