/**
 * A light entry of the CLI for `sandflow run FILE --server URL` (or with `SANDFLOW_SERVER`):
 * the run happens on the server, so the local engine, its worker pool and the store are
 * never loaded, which keeps the CLI's own start-up short. bin/sandflow.js picks it
 * (remote-argv.ts).
 */
import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import { dropOutputWhenReaderGoes } from "./closed-output.js";
import { remoteRunCommand } from "./remote-run.js";

function positiveNumber(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError("must be a positive number");
  return n;
}

/** Runs `sandflow run FILE --server URL` with `argv`. */
export async function main(argv: string[]): Promise<void> {
  dropOutputWhenReaderGoes(process.stdout);
  dropOutputWhenReaderGoes(process.stderr);
  const program = new Command("sandflow").exitOverride().showHelpAfterError();
  program
    .command("run")
    .argument("<file>", "workflow file")
    .option("--server <url>", "the server (default: $SANDFLOW_SERVER)")
    .option("--json", "print only the run report as JSON on stdout")
    .addOption(
      new Option("--progress <mode>", "progress display")
        .choices(["auto", "live", "plain", "none"])
        .default("auto"),
    )
    // Options of a local run: refused with a message rather than unknown.
    .option("--concurrency <n>", "", positiveNumber)
    .option("--threads <n>", "", positiveNumber)
    .option("--fail-fast")
    .option("--timeout <seconds>", "", positiveNumber)
    .option("--memory <mb>", "", positiveNumber)
    .option("--store <path>")
    .option("--no-store")
    .option("--secret <name>", "", (name: string, names: string[] = []) => [...names, name])
    .option("--rate-limit <key=n/unit>", "", (value: string, previous: string[] = []) => [...previous, value])
    .option("--max-for-each-items <n>", "", positiveNumber)
    .action(async (file: string, opts) => {
      const server = (opts.server as string | undefined) || process.env.SANDFLOW_SERVER || "";
      process.exitCode = await remoteRunCommand(file, server, opts);
    });
  try {
    await program.parseAsync(argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      process.exitCode = e.exitCode === 0 ? 0 : 2;
      return;
    }
    throw e;
  }
}
