/** The CLI's server commands (`serve`, `stop`) and the `--server` option of `run`. */
import { type Command, InvalidArgumentError } from "commander";
import { durationOption, positiveInt, rateLimitOption } from "./option-values.js";

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError("--port must be 0 to 65535");
  return n;
}

/** The server `run` should use: `--server`, else `SANDFLOW_SERVER`, else none (run locally). */
export function serverOf(opts: { server?: string }): string | undefined {
  return opts.server || process.env.SANDFLOW_SERVER || undefined;
}

function count(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 100) throw new InvalidArgumentError("--count must be 1 to 100");
  return n;
}

const SERVER_HELP =
  "the server (default: $SANDFLOW_SERVER, else the one 'sandflow serve --background' started)";
/** Help of the `--token` option of the commands that call a server. */
export const TOKEN_HELP = "the server's bearer token (default: $SANDFLOW_TOKEN)";

/** Adds `serve`, `stop`, `emit` and `schedules` to the program. */
export function addServerCommands(program: Command): void {
  program
    .command("serve")
    .description(
      "serve the REST API and the dashboard of runs on one warm engine (runs recorded in the store)",
    )
    .option("--port <n>", "port (default: 8080; 0 picks a free one)", port)
    .option("--host <address>", "address to listen on (default: 127.0.0.1; others need a token)")
    .option(
      "--store <path>",
      "store file (default: $SANDFLOW_HOME/sandflow.db); a postgres:// URL runs steps on `sandflow worker`s and takes over runs whose orchestrator died",
    )
    .option("--queue <name>", "with a postgres:// store: the step queue (default: sandflow-steps)")
    .option(
      "--heartbeat <seconds>",
      "with a postgres:// store: a step whose worker is silent this long runs again elsewhere (default: 30)",
      positiveInt("--heartbeat"),
    )
    .option(
      "--token <token>",
      "require 'Authorization: Bearer <token>' on every API request (default: $SANDFLOW_TOKEN)",
    )
    .option(
      "--workflows <dir>",
      "register the workflow files of this folder (their 'on' events and 'schedule' start runs; re-read on change), and let submitted workflows name `file` steps in it (default: none)",
    )
    .option("--threads <n>", "worker threads in the pool (default: one per core)", positiveInt("--threads"))
    .option(
      "--net-host <host[:port]>",
      "the only hosts a workflow's 'allow: {net}' may grant (repeatable; default: any it names)",
      (value: string, previous: string[] = []) => [...previous, value],
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
    .option(
      "--retention <duration>",
      "delete runs that finished longer ago than this (30d, 12h), checked at start and hourly (default: kept until 'sandflow prune')",
      durationOption("--retention"),
    )
    .option("--background", "start the server as a background process ('sandflow stop' stops it)")
    .action(async (opts) => {
      const { serveCommand } = await import("./serve-command.js");
      process.exitCode = await serveCommand(opts);
    });
  program
    .command("stop")
    .description("stop the server 'sandflow serve --background' started")
    .action(async () => {
      const { stopCommand } = await import("./serve-command.js");
      process.exitCode = await stopCommand();
    });
  program
    .command("emit")
    .description("emit an event: the server starts one run of each registered workflow whose 'on' names it")
    .argument("<name>", "the event's name")
    .option("--data <json>", "the event's data (JSON; text that is not JSON is sent as a string)")
    .option("--id <id>", "the event's id: emitting it again with the same id starts nothing new")
    .option("--server <url>", SERVER_HELP)
    .option("--token <token>", TOKEN_HELP)
    .option("--json", 'print { "eventId", "runIds" } as JSON')
    .action(async (name: string, opts) => {
      const { emitCommand } = await import("./trigger-commands.js");
      process.exitCode = await emitCommand(name, opts);
    });
  program
    .command("schedules")
    .description("list the schedules of the server's registered workflows and their next fire times")
    .option("--count <n>", "next fire times per schedule (default: 3)", count)
    .option("--server <url>", SERVER_HELP)
    .option("--token <token>", TOKEN_HELP)
    .option("--json", 'print { "schedules": [...] } as JSON')
    .action(async (opts) => {
      const { schedulesCommand } = await import("./trigger-commands.js");
      process.exitCode = await schedulesCommand(opts);
    });
}
