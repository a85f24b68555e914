/**
 * `sandflow worker --store postgres://...`: claims step jobs from the Postgres queue and
 * runs them in this machine's sandboxed pool until SIGINT or SIGTERM (then it finishes the
 * steps in hand; a second signal stops at once, and those steps run again elsewhere).
 */
import { availableParallelism, hostname } from "node:os";
import { createLocalStepPool } from "../node/create-engine.js";
import { isPostgresUrl } from "../node/postgres-url.js";
import { openPostgresStore } from "../node/scale-out.js";
import { StepWorker } from "../node/step-worker.js";
import { EXIT } from "./exit-codes.js";
import { usageFailure } from "./store-commands.js";

/** Options of `sandflow worker`. */
export interface WorkerCommandOptions {
  readonly store?: string;
  readonly threads?: number;
  readonly queue?: string;
  readonly heartbeat?: number;
  readonly quiet?: boolean;
}

/** `sandflow worker`. */
export async function workerCommand(options: WorkerCommandOptions): Promise<number> {
  const say = (message: string) => process.stderr.write(`sandflow worker: ${message}\n`);
  if (!options.store || !isPostgresUrl(options.store)) {
    say("--store postgres://... is required (the database orchestrators queue steps in)");
    return EXIT.INVALID;
  }
  const threads = options.threads ?? Math.max(1, availableParallelism());
  let store: ReturnType<typeof openPostgresStore>;
  try {
    store = openPostgresStore(options.store);
  } catch (e) {
    say((e as Error).message);
    return EXIT.INVALID;
  }
  const local = createLocalStepPool({ onNotice: say }, threads, 512);
  let worker: StepWorker;
  try {
    await store.ready();
    worker = await StepWorker.start(store, local.pool, threads, {
      name: `${hostname()}:${process.pid}`,
      ...(options.queue ? { queue: options.queue } : {}),
      ...(options.heartbeat ? { heartbeatEverySeconds: options.heartbeat } : {}),
      ...(options.quiet ? {} : { onEvent: say }),
      beforeLanguage: (language) => local.beforeRun({ steps: [{ language }] }),
    });
  } catch (e) {
    await local.pool.close();
    await store.close();
    if (e instanceof TypeError) {
      say(e.message);
      return EXIT.INVALID;
    }
    return usageFailure(e);
  }
  say(
    `claiming steps from ${store.label} (queue ${options.queue ?? "sandflow-steps"}) with ${threads} ${threads === 1 ? "thread" : "threads"}`,
  );
  await new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  say("stopping: finishing the steps in hand (a second Ctrl-C stops at once)");
  const now = () => process.exit(EXIT.FAILED);
  process.once("SIGINT", now);
  process.once("SIGTERM", now);
  await worker.stop(true);
  await local.pool.close();
  await store.close();
  say(`stopped after ${worker.completed} ${worker.completed === 1 ? "step" : "steps"}`);
  return EXIT.OK;
}
