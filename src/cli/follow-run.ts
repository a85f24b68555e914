/** Following one run from the CLI: progress on stderr, Ctrl-C cancels, the report or summary on stdout. */
import type { RunHandle } from "../core/engine.js";
import type { RunOptions } from "../core/options.js";
import { EXIT } from "./exit-codes.js";
import { PlainProgress, type ProgressReporter } from "./plain-progress.js";
import { renderSummary } from "./summary.js";
import { terminalSafeLine } from "./terminal-safe.js";

/**
 * The secrets `--secret NAME` names, read from the host environment.
 * @returns the values by name, or a message naming the first one that is not set.
 */
export function secretsFromEnv(
  names: readonly string[] | undefined,
): { ok: true; value: Record<string, string> } | { ok: false; error: string } {
  const secrets: Record<string, string> = Object.create(null);
  for (const name of names ?? []) {
    const value = process.env[name];
    if (!value)
      return {
        ok: false,
        error: `--secret ${terminalSafeLine(name)}: no such environment variable (or it is empty)`,
      };
    secrets[name] = value;
  }
  return { ok: true, value: secrets };
}

/** How a followed run is shown and scheduled. */
export interface RunDisplayOptions {
  readonly json?: boolean;
  readonly concurrency?: number;
  readonly failFast?: boolean;
  readonly progress?: "auto" | "live" | "plain" | "none";
  /** Host environment variables given to the engine as secrets (`--secret NAME`). */
  readonly secret?: readonly string[];
  /** `--rate-limit key=n/unit`: the engine's rate limits. */
  readonly rateLimit?: Readonly<Record<string, string>>;
  /** `--max-for-each-items n`: the engine's `maxForEachItems`. */
  readonly maxForEachItems?: number;
  /** The server that runs the run (`run --server`): the hints to signal it name its API. */
  readonly server?: string;
}

async function reporter(options: RunDisplayOptions): Promise<ProgressReporter | undefined> {
  const mode = options.progress ?? "auto";
  if (mode === "none") return undefined;
  if (mode === "live" || (mode === "auto" && process.stderr.isTTY)) {
    // log-update and its dependencies take a while to load: only on a terminal.
    const { TerminalProgress } = await import("./terminal-progress.js");
    return new TerminalProgress(options.server);
  }
  return new PlainProgress(options.server);
}

/** Starts a run with `start`, follows it to the end and returns the exit code. */
export async function followRun(
  start: (options: RunOptions) => Pick<RunHandle, "report"> | Promise<Pick<RunHandle, "report">>,
  options: RunDisplayOptions,
): Promise<number> {
  const progress = await reporter(options);
  const controller = new AbortController();
  const onSignal = () => controller.abort();
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    const handle = await start({
      signal: controller.signal,
      failFast: options.failFast === true,
      ...(options.concurrency ? { concurrency: options.concurrency } : {}),
      ...(progress ? { onEvent: (e) => progress.onEvent(e) } : {}),
    });
    const report = await handle.report;
    progress?.stop();
    if (options.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    else process.stdout.write(renderSummary(report, undefined, options.server));
    return report.status === "succeeded" ? EXIT.OK : EXIT.FAILED;
  } finally {
    progress?.stop();
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}
