/** The CLI's server commands (`serve`, `stop`) and the `--server` option of `run`. */
import { type Command, InvalidArgumentError } from "commander";

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError("--port must be 0 to 65535");
  return n;
}

function threads(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError("--threads must be a positive integer");
  return n;
}

/** The server `run` should use: `--server`, else `SANDFLOW_SERVER`, else none (run locally). */
export function serverOf(opts: { server?: string }): string | undefined {
  return opts.server || process.env.SANDFLOW_SERVER || undefined;
}

/** Adds `serve` and `stop` to the program. */
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
      threads,
    )
    .option(
      "--token <token>",
      "require 'Authorization: Bearer <token>' on every API request (default: $SANDFLOW_TOKEN)",
    )
    .option(
      "--workflows <dir>",
      "let submitted workflows name `file` steps in this folder (default: none may)",
    )
    .option("--threads <n>", "worker threads in the pool (default: one per core)", threads)
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
}
