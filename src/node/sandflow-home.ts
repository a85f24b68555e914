/** Where sandflow keeps its files: `$SANDFLOW_HOME`, else `~/.sandflow` (the default store, the background server's state). */
import { homedir } from "node:os";
import { join } from "node:path";

/** The folder of sandflow's own files. */
export function sandflowHome(): string {
  return process.env.SANDFLOW_HOME || join(homedir(), ".sandflow");
}

/** The default store file: `sandflow.db` in {@link sandflowHome}. */
export function defaultStorePath(): string {
  return join(sandflowHome(), "sandflow.db");
}

/** Where a background server says where it listens. */
export function serverStateFile(): string {
  return join(sandflowHome(), "server.json");
}
