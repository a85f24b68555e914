/**
 * Whether a command line asks for a run on a server. Loaded by bin/sandflow.js before
 * anything else to pick the CLI's entry, so it imports nothing.
 */

/** Whether `argv` (as in `process.argv`) asks for a run on a server (`--server`, or `SANDFLOW_SERVER` set). */
export function isRemoteRun(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): boolean {
  if (argv[2] !== "run" || argv.includes("--help") || argv.includes("-h")) return false;
  return Boolean(env.SANDFLOW_SERVER) || argv.some((a) => a === "--server" || a.startsWith("--server="));
}
