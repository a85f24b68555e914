/**
 * The `sandflow` command: `run`, the stored runs (`runs`, `show`, `resume`, `rerun`, `delete`, `prune`, `cache`),
 * `validate`, `graph`, `schema` and `completion`.
 * Exit codes: 0 the run succeeded, 1 it failed or was cancelled, 2 invalid workflow or usage.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Argument, Command, CommanderError, InvalidArgumentError, Option } from "commander";
import { runReportJsonSchema } from "../core/report.js";
import { workflowJsonSchema } from "../core/schema.js";
import { PACKAGE_ROOT } from "../node/package-paths.js";
import { dropOutputWhenReaderGoes } from "./closed-output.js";
import { graphCommand, runCommand, validateCommand } from "./commands.js";
import { completionScript, SHELLS, type Shell } from "./completion.js";
import { EXIT } from "./exit-codes.js";
import { durationOption, positiveInt, rateLimitOption } from "./option-values.js";
import { addServerCommands, serverOf, TOKEN_HELP } from "./server-options.js";
import {
  cacheClearCommand,
  continueCommand,
  deleteCommand,
  pruneCommand,
  runsCommand,
  showCommand,
  signalCommand,
} from "./store-commands.js";

function packageVersion(): string {
  const manifest = JSON.parse(readFileSync(join(PACKAGE_ROOT, "package.json"), "utf8")) as {
    version: string;
  };
  return manifest.version;
}

const STORE_HELP =
  "store file, or a postgres:// URL (default: $SANDFLOW_HOME/sandflow.db, SANDFLOW_HOME defaulting to ~/.sandflow)";

/** The options `run`, `resume` and `rerun` share: how the run is shown and scheduled. */
function runDisplayOptions(command: Command): Command {
  return command
    .option("--json", "print only the run report as JSON on stdout")
    .option(
      "--concurrency <n>",
      "most steps running at once (default: the workflow's, else one per core)",
      positiveInt("--concurrency"),
    )
    .option("--threads <n>", "worker threads in the pool (default: one per core)", positiveInt("--threads"))
    .option("--fail-fast", "stop starting new steps after the first failure")
    .option(
      "--secret <name>",
      "give the host environment variable NAME to the steps that name it in `secrets` (masked as ***); repeatable",
      (name: string, names: string[] = []) => [...names, name],
    )
    .option(
      "--rate-limit <key=n/unit>",
      "limit the starts of the steps whose rate_limit_key is KEY to n per s, m or h (e.g. api=10/s); repeatable",
      rateLimitOption,
    )
    .option(
      "--max-for-each-items <n>",
      "most items a for_each list may have (default: 10000)",
      positiveInt("--max-for-each-items"),
    )
    .addOption(
      new Option("--progress <mode>", "progress display")
        .choices(["auto", "live", "plain", "none"])
        .default("auto"),
    );
}

function positiveNumber(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError("must be a positive number of seconds");
  return n;
}

/** Builds the command-line program. */
export function buildProgram(): Command {
  const program = new Command("sandflow")
    .description(
      "Run workflows of Python, Lua, shell, JavaScript and WebAssembly steps, each sandboxed in WebAssembly.",
    )
    .version(packageVersion(), "-V, --version", "print the version")
    .helpOption("-h, --help", "show help")
    .helpCommand("help [command]", "show help for a command")
    .exitOverride()
    .showHelpAfterError("(see 'sandflow help')");
  runDisplayOptions(
    program
      .command("run")
      .description("run a workflow file (.lua, .yaml, .yml or .json); the run is recorded in the store")
      .argument("<file>", "workflow file"),
  )
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
      "--param <name=value>",
      "give the run param NAME (the value is read as JSON when it parses, else as a string); repeatable",
      (pair: string, pairs: string[] = []) => [...pairs, pair],
    )
    .option("--params <json>", "give the run params as a JSON object (--param entries win)")
    .option("--store <path>", STORE_HELP)
    .option("--no-store", "run in memory only: nothing is recorded, the run cannot be resumed")
    .option("--server <url>", "run on a running `sandflow serve` (default: $SANDFLOW_SERVER, else locally)")
    .option("--remote", "run the steps on `sandflow worker` processes (needs --store postgres://...)")
    .option("--queue <name>", "with --remote: the step queue (default: sandflow-steps)")
    .option(
      "--heartbeat <seconds>",
      "with --remote: a step whose worker is silent this long runs again elsewhere (default: 30, at least 10)",
      positiveInt("--heartbeat"),
    )
    .action(async (file: string, opts) => {
      if (opts.remote) {
        process.exitCode = await (await import("./scale-out-run.js")).scaleOutRunCommand(file, opts);
        return;
      }
      const server = serverOf(opts);
      process.exitCode = server
        ? await (await import("./remote-run.js")).remoteRunCommand(file, server, opts)
        : await runCommand(file, opts);
    });
  program
    .command("runs")
    .description("list recent runs in the store, newest first")
    .option(
      "--status <status>",
      "only runs in this state: running (waiting and queued too), waiting, queued, interrupted, succeeded, failed, cancelled",
    )
    .option("--limit <n>", "most runs to list (default: 20)", positiveInt("--limit"))
    .option("--json", 'print { "runs": [...] } as JSON')
    .option("--store <path>", STORE_HELP)
    .option("--server <url>", SERVER_RUNS_HELP)
    .option("--token <token>", TOKEN_HELP)
    .action(async (opts) => {
      if (opts.server === undefined) process.exitCode = await runsCommand(opts);
      else if (storeAndServer(opts)) process.exitCode = EXIT.INVALID;
      else process.exitCode = await (await import("./server-runs.js")).serverRunsCommand(opts);
    });
  program
    .command("show")
    .description("print a stored run's report (also of an unfinished or interrupted run)")
    .argument("<run>", "run id, or a unique prefix of one")
    .option("--json", "print the run report as JSON (the schema of run --json)")
    .option("--store <path>", STORE_HELP)
    .option("--server <url>", SERVER_RUNS_HELP)
    .option("--token <token>", TOKEN_HELP)
    .action(async (run: string, opts) => {
      if (opts.server === undefined) process.exitCode = await showCommand(run, opts);
      else if (storeAndServer(opts)) process.exitCode = EXIT.INVALID;
      else process.exitCode = await (await import("./server-runs.js")).serverShowCommand(run, opts);
    });
  program
    .command("signal")
    .description(
      "send a signal to a run (a wait_for or approval step takes it), through the store: the run may run in any process",
    )
    .argument("<run>", "run id, or a unique prefix of one")
    .argument("<name>", "the signal's name (approval for an approval step)")
    .option("--data <json>", 'the data (JSON; an approval\'s is {"approved": true|false, "by"?, "comment"?})')
    .option(
      "--id <id>",
      "the signal's id: sending it again with the same id changes nothing (default: a new id)",
    )
    .option("--json", 'print { "runId", "name", "signalId", "delivered" } as JSON')
    .option("--store <path>", STORE_HELP)
    .action(async (run: string, name: string, opts) => {
      process.exitCode = await signalCommand(run, name, opts);
    });
  runDisplayOptions(
    program
      .command("resume")
      .description(
        "continue an interrupted run: steps that succeeded keep their results and files; a step that was running runs again as a new attempt",
      )
      .argument("<run>", "run id, or a unique prefix of one"),
  )
    .option("--store <path>", STORE_HELP)
    .action(async (run: string, opts) => {
      process.exitCode = await continueCommand("resume", run, opts);
    });
  runDisplayOptions(
    program
      .command("rerun")
      .description(
        "a new run of a stored run's workflow (rerunOf in its report): the failed and skipped steps and everything after them run again, the other steps keep their results",
      )
      .argument("<run>", "run id, or a unique prefix of one"),
  )
    .option("--from <step>", "run this step and everything downstream of it again")
    .option("--store <path>", STORE_HELP)
    .action(async (run: string, opts) => {
      process.exitCode = await continueCommand("rerun", run, opts);
    });
  program
    .command("cache")
    .description("manage the step result cache")
    .command("clear")
    .description("remove every cached step result from the store")
    .option("--store <path>", STORE_HELP)
    .action(async (opts) => {
      process.exitCode = await cacheClearCommand(opts);
    });
  program
    .command("delete")
    .description("delete a finished run with its journal (runs that have not finished are refused)")
    .argument("<run>", "run id, or a unique prefix of one")
    .option("--json", 'print { "runId", "deleted": true } as JSON')
    .option("--store <path>", STORE_HELP)
    .option(
      "--server <url>",
      "delete it on a running `sandflow serve` (DELETE /api/runs/{id}) instead of in a store",
    )
    .option("--token <token>", TOKEN_HELP)
    .action(async (run: string, opts) => {
      if (opts.server === undefined) process.exitCode = await deleteCommand(run, opts);
      else if (storeAndServer(opts)) process.exitCode = EXIT.INVALID;
      else process.exitCode = await (await import("./server-runs.js")).serverDeleteCommand(run, opts);
    });
  program
    .command("prune")
    .description(
      "delete runs that finished longer ago than --older-than, with their journals, and expired cached step results; unfinished runs stay",
    )
    .requiredOption(
      "--older-than <duration>",
      "how long finished runs are kept (30d, 12h, 1h30m)",
      durationOption("--older-than"),
    )
    .option("--dry-run", "count what would be deleted and delete nothing")
    .option("--json", 'print { "runs", "cacheEntries", "blobs", "finishedBefore", "dryRun" } as JSON')
    .option("--store <path>", STORE_HELP)
    .action(async (opts) => {
      process.exitCode = await pruneCommand(opts);
    });
  addServerCommands(program);
  program
    .command("worker")
    .description(
      "run steps for `sandflow run --remote` and `sandflow serve` on a Postgres store, until Ctrl-C",
    )
    .requiredOption("--store <url>", "the Postgres database (postgres://user:password@host:port/db)")
    .option("--threads <n>", "steps run at once (default: one per core)", positiveInt("--threads"))
    .option("--queue <name>", "the step queue (default: sandflow-steps)")
    .option(
      "--heartbeat <seconds>",
      "seconds between heartbeats of the steps in hand (default: half the orchestrators' --heartbeat)",
      positiveInt("--heartbeat"),
    )
    .option("--quiet", "say nothing per step")
    .action(async (opts) => {
      process.exitCode = await (await import("./worker-command.js")).workerCommand(opts);
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
    .addArgument(new Argument("[which]", "which schema").choices(["workflow", "report"]).default("workflow"))
    .action((which: string) => {
      process.stdout.write(
        `${JSON.stringify(which === "workflow" ? workflowJsonSchema() : runReportJsonSchema(), null, 2)}\n`,
      );
    });
  program
    .command("completion")
    .description("print a shell completion script (load it with: source <(sandflow completion bash))")
    .addArgument(new Argument("<shell>", "the shell").choices([...SHELLS]))
    .action((shell: Shell) => {
      process.stdout.write(completionScript(program, shell));
    });
  for (const command of program.commands)
    command.showHelpAfterError(`(see 'sandflow help ${command.name()}')`);
  return program;
}

const SERVER_RUNS_HELP = "ask a running `sandflow serve` at this URL (its API) instead of reading a store";

/** Whether both `--store` and `--server` were given (said on stderr): they name two places. */
function storeAndServer(opts: { store?: unknown }): boolean {
  if (opts.store === undefined) return false;
  process.stderr.write("sandflow: give --store or --server, not both\n");
  return true;
}

/** Runs the CLI with `argv` (as in `process.argv`). */
export async function main(argv: string[]): Promise<void> {
  dropOutputWhenReaderGoes(process.stdout);
  dropOutputWhenReaderGoes(process.stderr);
  try {
    await buildProgram().parseAsync(argv);
  } catch (e) {
    // commander prints its own parse errors; InvalidArgumentError (a CommanderError too)
    // thrown by an action has not been printed yet.
    if (e instanceof InvalidArgumentError) {
      process.stderr.write(`sandflow: ${e.message}\n`);
      process.exitCode = 2;
      return;
    }
    if (e instanceof CommanderError) {
      process.exitCode = e.exitCode === 0 ? 0 : 2;
      return;
    }
    throw e;
  }
}
