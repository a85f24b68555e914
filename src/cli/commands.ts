/** What each CLI command does, returning its exit code. */
import { WorkflowValidationError } from "../core/errors.js";
import { type GraphFormat, renderGraph } from "../core/graph-render.js";
import type { InvalidReport } from "../core/report.js";
import type { WorkflowDefinition } from "../core/workflow.js";
import { createEngine } from "../node/create-engine.js";
import { loadWorkflowFile } from "../node/workflow-file.js";
import { PlainProgress, type ProgressReporter } from "./plain-progress.js";
import { renderSummary } from "./summary.js";
import { terminalSafe, terminalSafeLine } from "./terminal-safe.js";

/** Exit codes of the CLI. */
export const EXIT = { OK: 0, FAILED: 1, INVALID: 2 } as const;

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
  /** Names of host environment variables given to the engine as secrets (`--secret NAME`). */
  readonly secret?: readonly string[];
}

async function reporter(mode: RunCommandOptions["progress"]): Promise<ProgressReporter | undefined> {
  if (mode === "none") return undefined;
  if (mode === "live" || (mode === "auto" && process.stderr.isTTY)) {
    // log-update and its dependencies take a while to load: only on a terminal.
    const { TerminalProgress } = await import("./terminal-progress.js");
    return new TerminalProgress();
  }
  return new PlainProgress();
}

/** `sandflow run FILE`. */
export async function runCommand(file: string, options: RunCommandOptions): Promise<number> {
  const secrets: Record<string, string> = Object.create(null);
  for (const name of options.secret ?? []) {
    const value = process.env[name];
    if (!value) {
      process.stderr.write(
        `sandflow: --secret ${terminalSafeLine(name)}: no such environment variable (or it is empty)\n`,
      );
      return EXIT.INVALID;
    }
    secrets[name] = value;
  }
  // The engine first: its pool process starts while the workflow file is read.
  // --timeout and --memory are the defaults and the ceilings of the run's steps.
  const engine = createEngine({
    ...(options.threads ? { threads: options.threads } : {}),
    ...(options.timeout ? { timeout: options.timeout } : {}),
    ...(options.memory ? { memory: options.memory } : {}),
    secrets,
    onNotice: (message) => process.stderr.write(`sandflow: ${message}\n`),
  });
  const workflow = await load(file, options.json === true);
  if (!workflow) {
    await engine.close();
    return EXIT.INVALID;
  }
  const progress = await reporter(options.progress ?? "auto");
  const controller = new AbortController();
  const onSignal = () => controller.abort();
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    const report = await engine.run(workflow, {
      signal: controller.signal,
      failFast: options.failFast === true,
      ...(options.concurrency ? { concurrency: options.concurrency } : {}),
      ...(progress ? { onEvent: (e) => progress.onEvent(e) } : {}),
    });
    progress?.stop();
    if (options.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    else process.stdout.write(renderSummary(report));
    return report.status === "succeeded" ? EXIT.OK : EXIT.FAILED;
  } finally {
    progress?.stop();
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
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
