/**
 * The `sandflow` command: `run`, `validate`, `graph` and `schema`.
 * Exit codes: 0 the run succeeded, 1 it failed or was cancelled, 2 invalid workflow or usage.
 */
import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import { runReportJsonSchema } from "../core/report.js";
import { workflowJsonSchema } from "../core/schema.js";
import { graphCommand, runCommand, validateCommand } from "./commands.js";

function positiveInt(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`${name} must be a positive integer`);
    return n;
  };
}

function positiveNumber(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError("must be a positive number of seconds");
  return n;
}

/** Builds the command-line program. */
export function buildProgram(): Command {
  const program = new Command("sandflow")
    .description("Run workflows of Python, Lua and shell steps, each sandboxed in WebAssembly.")
    .version("0.1.0")
    .exitOverride()
    .showHelpAfterError();
  program
    .command("run")
    .description("run a workflow file (.lua, .yaml, .yml or .json)")
    .argument("<file>", "workflow file")
    .option("--json", "print only the run report as JSON on stdout")
    .option(
      "--concurrency <n>",
      "most steps running at once (default: the workflow's, else one per core)",
      positiveInt("--concurrency"),
    )
    .option("--threads <n>", "worker threads in the pool (default: one per core)", positiveInt("--threads"))
    .option("--fail-fast", "stop starting new steps after the first failure")
    .option(
      "--timeout <seconds>",
      "timeout of steps that set none, and the most any step may ask for (default: 300)",
      positiveNumber,
    )
    .option(
      "--memory <mb>",
      "memory limit of steps that set none, and the most any step may ask for (default: 512)",
      positiveNumber,
    )
    .option(
      "--secret <name>",
      "give the host environment variable NAME to the steps that name it in `secrets` (masked as ***); repeatable",
      (name: string, names: string[] = []) => [...names, name],
    )
    .addOption(
      new Option("--progress <mode>", "progress display")
        .choices(["auto", "live", "plain", "none"])
        .default("auto"),
    )
    .action(async (file: string, opts) => {
      process.exitCode = await runCommand(file, opts);
    });
  program
    .command("validate")
    .description("check a workflow file without running it")
    .argument("<file>", "workflow file")
    .option("--json", "print the result as JSON")
    .action(async (file: string, opts) => {
      process.exitCode = await validateCommand(file, opts);
    });
  program
    .command("graph")
    .description("print a workflow's DAG")
    .argument("<file>", "workflow file")
    .addOption(
      new Option("--format <format>", "output format").choices(["mermaid", "dot"]).default("mermaid"),
    )
    .action(async (file: string, opts) => {
      process.exitCode = await graphCommand(file, opts);
    });
  program
    .command("schema")
    .description("print a JSON Schema: of workflow files, or of the run report")
    .argument("[which]", "workflow or report", "workflow")
    .action((which: string) => {
      if (which !== "workflow" && which !== "report")
        throw new InvalidArgumentError("schema must be 'workflow' or 'report'");
      process.stdout.write(
        `${JSON.stringify(which === "workflow" ? workflowJsonSchema() : runReportJsonSchema(), null, 2)}\n`,
      );
    });
  return program;
}

/** Runs the CLI with `argv` (as in `process.argv`). */
export async function main(argv: string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      process.exitCode = e.exitCode === 0 ? 0 : 2;
      return;
    }
    if (e instanceof InvalidArgumentError) {
      process.stderr.write(`sandflow: ${e.message}\n`);
      process.exitCode = 2;
      return;
    }
    throw e;
  }
}
