/**
 * `sandflow run FILE --store postgres://... --remote`: records the run in Postgres,
 * orchestrates it from this process (holding its lease) with its steps run by `sandflow
 * worker` processes, and follows it like a local run. If this process dies, a `sandflow
 * serve --store postgres://...` takes the run over.
 */
import { isPostgresUrl } from "../node/postgres-url.js";
import { createRemoteEngine } from "../node/scale-out.js";
import { loadWorkflowFile } from "../node/workflow-file.js";
import type { RunCommandOptions } from "./commands.js";
import { EXIT } from "./exit-codes.js";
import { followRun } from "./follow-run.js";
import { usageFailure } from "./store-commands.js";
import { terminalSafe } from "./terminal-safe.js";

/** Options of `sandflow run --remote`. */
export interface RemoteStoreRunOptions extends RunCommandOptions {
  readonly queue?: string;
  readonly heartbeat?: number;
}

/** `sandflow run FILE --store postgres://... --remote`. */
export async function scaleOutRunCommand(file: string, options: RemoteStoreRunOptions): Promise<number> {
  const fail = (message: string) => {
    process.stderr.write(`sandflow: ${message}\n`);
    return EXIT.INVALID;
  };
  if (typeof options.store !== "string" || !isPostgresUrl(options.store))
    return fail("--remote needs --store postgres://... (the database the workers claim steps from)");
  if ((options.secret ?? []).length > 0)
    return fail("--secret is not available with --remote: the steps' inputs pass through the database");
  if (options.heartbeat !== undefined && options.heartbeat < 10)
    return fail(`--heartbeat must be at least 10 seconds (pg-boss's least), got ${options.heartbeat}`);
  if (options.threads !== undefined)
    return fail(
      "--threads has no effect with --remote: give it to the workers (sandflow worker --threads N)",
    );
  const loaded = await loadWorkflowFile(file);
  if (!loaded.ok) return fail(terminalSafe(loaded.error.message));
  let engine: Awaited<ReturnType<typeof createRemoteEngine>>;
  try {
    engine = await createRemoteEngine(options.store, {
      ...(options.timeout ? { timeout: options.timeout } : {}),
      ...(options.memory ? { memory: options.memory } : {}),
      ...(options.rateLimit ? { rateLimits: options.rateLimit } : {}),
      ...(options.maxForEachItems ? { maxForEachItems: options.maxForEachItems } : {}),
      queue: {
        ...(options.queue ? { queue: options.queue } : {}),
        ...(options.heartbeat ? { heartbeatSeconds: options.heartbeat } : {}),
      },
    });
  } catch (e) {
    if (e instanceof TypeError) return fail(e.message);
    return usageFailure(e);
  }
  try {
    return await followRun((runOptions) => engine.start(loaded.value, runOptions), options);
  } catch (e) {
    return usageFailure(e);
  } finally {
    await engine.close();
  }
}
