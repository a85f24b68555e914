/**
 * The CLI's durable-run commands: `runs`, `show`, `resume`, `rerun`, `signal`, `delete`, `prune` and `cache clear`,
 * on the default store (`$SANDFLOW_HOME/sandflow.db`) or the one `--store` names.
 */
import { randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import pc from "picocolors";
import { sendSignal } from "../core/durable/signals.js";
import { type Store, StoreError } from "../core/durable/store.js";
import type { RunListStatus } from "../core/durable/stored-run.js";
import { SandflowError } from "../core/errors.js";
import { createEngine } from "../node/create-engine.js";
import { isPostgresUrl } from "../node/postgres-url.js";
import { defaultStorePath } from "../node/sandflow-home.js";
import { SqliteStore } from "../node/sqlite-store.js";
import { pruneText } from "../server/retention.js";
import { EXIT } from "./exit-codes.js";
import { followRun, type RunDisplayOptions, secretsFromEnv } from "./follow-run.js";
import { formatDuration } from "./format.js";
import { renderSummary } from "./summary.js";
import { terminalSafe, terminalSafeLine } from "./terminal-safe.js";
import { parseData } from "./trigger-commands.js";

/** `--store PATH`, or `--no-store` (false); undefined means the default store. */
export type StoreOption = string | boolean | undefined;

/**
 * Opens the store a command names: a SQLite file, or Postgres for a `postgres://` or
 * `postgresql://` URL. A file `--store` names must exist unless `create` (a run makes it
 * and its folder): reading a store that is not there, a typo, would make an empty one and
 * show no runs. The default store is made when first needed.
 * @throws StoreError with a message for the user.
 */
export async function openStore(option: StoreOption, create = false): Promise<Store> {
  // The Postgres client loads only for a Postgres store: most commands never need it.
  if (typeof option === "string" && isPostgresUrl(option))
    return (await import("../node/scale-out.js")).openPostgresStore(option);
  if (typeof option !== "string") return new SqliteStore(defaultStorePath());
  if (!create && !existsSync(option))
    throw new StoreError(
      `--store ${option}: there is no store file ${resolve(option)} (a run with --store makes one)`,
    );
  return new SqliteStore(option);
}

/** Prints a sandflow error for the user and returns exit code 2; anything else is rethrown. */
export function usageFailure(e: unknown): number {
  if (e instanceof SandflowError) {
    process.stderr.write(`sandflow: ${terminalSafe(e.message)}\n`);
    return EXIT.INVALID;
  }
  throw e;
}

/** `sandflow runs`. */
export async function runsCommand(options: {
  status?: string;
  limit?: number;
  json?: boolean;
  store?: StoreOption;
}): Promise<number> {
  const { RUN_LIST_STATUSES, listRunsWithStatus } = await import("../core/durable/stored-run.js");
  if (options.status !== undefined && !RUN_LIST_STATUSES.includes(options.status as RunListStatus)) {
    process.stderr.write(
      `sandflow: --status must be one of ${RUN_LIST_STATUSES.join(", ")}, got '${terminalSafeLine(options.status)}'\n`,
    );
    return EXIT.INVALID;
  }
  let store: Store | undefined;
  try {
    store = await openStore(options.store);
    const runs = await listRunsWithStatus(
      store,
      { status: options.status as RunListStatus | undefined, limit: options.limit ?? 20 },
      Date.now(),
    );
    if (options.json) {
      process.stdout.write(`${JSON.stringify({ runs }, null, 2)}\n`);
      return EXIT.OK;
    }
    if (runs.length === 0) process.stdout.write(`no runs in ${store.label}\n`);
    for (const r of runs) process.stdout.write(runRow(r));
    return EXIT.OK;
  } catch (e) {
    return usageFailure(e);
  } finally {
    await store?.close();
  }
}

/** One line of `sandflow runs`: short id, status, start (UTC), time taken, workflow. */
export function runRow(r: {
  runId: string;
  status: string;
  startedAt: number;
  finishedAt: number | null;
  workflow: string;
}): string {
  const when = new Date(r.startedAt).toISOString().replace("T", " ").slice(0, 19);
  const took = r.finishedAt === null ? "" : formatDuration(r.finishedAt - r.startedAt);
  return `${pc.dim(r.runId.slice(0, 8))}  ${r.status.padEnd(11)} ${when}  ${took.padStart(9)}  ${terminalSafeLine(r.workflow)}\n`;
}

/** `sandflow show RUN`. */
export async function showCommand(
  runId: string,
  options: { json?: boolean; store?: StoreOption },
): Promise<number> {
  let store: Store | undefined;
  try {
    store = await openStore(options.store);
    const { loadRun, storedReport } = await import("../core/durable/stored-run.js");
    const report = storedReport(await loadRun(store, runId), Date.now());
    process.stdout.write(options.json ? `${JSON.stringify(report, null, 2)}\n` : renderSummary(report));
    return EXIT.OK;
  } catch (e) {
    return usageFailure(e);
  } finally {
    await store?.close();
  }
}

/** Options of `sandflow resume` and `sandflow rerun`. */
export interface ContinueOptions extends RunDisplayOptions {
  readonly store?: StoreOption;
  readonly from?: string;
  readonly threads?: number;
}

/** `sandflow resume RUN` and `sandflow rerun RUN [--from STEP]`. */
export async function continueCommand(
  how: "resume" | "rerun",
  runId: string,
  options: ContinueOptions,
): Promise<number> {
  const secrets = secretsFromEnv(options.secret);
  if (!secrets.ok) {
    process.stderr.write(`sandflow: ${secrets.error}\n`);
    return EXIT.INVALID;
  }
  let engine: ReturnType<typeof createEngine> | undefined;
  try {
    const store = await openStore(options.store);
    engine = createEngine({
      store,
      secrets: secrets.value,
      ...(options.rateLimit ? { rateLimits: options.rateLimit } : {}),
      ...(options.maxForEachItems ? { maxForEachItems: options.maxForEachItems } : {}),
      ...(options.threads ? { threads: options.threads } : {}),
      onNotice: (message) => process.stderr.write(`sandflow: ${message}\n`),
    });
    const running = engine;
    return await followRun(
      (runOptions) =>
        how === "resume"
          ? running.resume(runId, runOptions)
          : running.rerun(runId, {
              ...runOptions,
              ...(options.from !== undefined ? { from: options.from } : {}),
            }),
      options,
    );
  } catch (e) {
    return usageFailure(e);
  } finally {
    await engine?.close();
  }
}

/** `sandflow cache clear`. */
export async function cacheClearCommand(options: { store?: StoreOption }): Promise<number> {
  let store: Store | undefined;
  try {
    store = await openStore(options.store);
    const removed = await store.clearCache();
    process.stdout.write(
      `removed ${removed} cached step result${removed === 1 ? "" : "s"} from ${store.label}\n`,
    );
    return EXIT.OK;
  } catch (e) {
    return usageFailure(e);
  } finally {
    await store?.close();
  }
}

/** `sandflow delete RUN`. */
export async function deleteCommand(
  run: string,
  options: { json?: boolean; store?: StoreOption },
): Promise<number> {
  let store: Store | undefined;
  try {
    store = await openStore(options.store);
    const { deleteRun } = await import("../core/durable/stored-run.js");
    const runId = await deleteRun(store, run);
    process.stdout.write(
      options.json
        ? `${JSON.stringify({ runId, deleted: true })}\n`
        : `deleted run ${runId} from ${store.label}\n`,
    );
    return EXIT.OK;
  } catch (e) {
    return usageFailure(e);
  } finally {
    await store?.close();
  }
}

/** `sandflow prune --older-than DURATION [--dry-run]`. */
export async function pruneCommand(options: {
  olderThan: number;
  dryRun?: boolean;
  json?: boolean;
  store?: StoreOption;
}): Promise<number> {
  let store: Store | undefined;
  try {
    store = await openStore(options.store);
    const now = Date.now();
    const finishedBefore = now - options.olderThan;
    const done = await store.prune({ finishedBefore, now, dryRun: options.dryRun === true });
    if (options.json) {
      process.stdout.write(
        `${JSON.stringify({ ...done, finishedBefore, dryRun: options.dryRun === true })}\n`,
      );
      return EXIT.OK;
    }
    process.stdout.write(`${pruneText(done, finishedBefore, options.dryRun)} from ${store.label}\n`);
    return EXIT.OK;
  } catch (e) {
    return usageFailure(e);
  } finally {
    await store?.close();
  }
}

/** `sandflow signal RUN NAME [--data JSON] [--id ID]`: keeps a signal for the run in the store. */
export async function signalCommand(
  run: string,
  name: string,
  options: { data?: string; id?: string; json?: boolean; store?: StoreOption },
): Promise<number> {
  let store: Store | undefined;
  try {
    store = await openStore(options.store);
    const sent = await sendSignal(
      store,
      run,
      name,
      parseData(options.data) ?? null,
      options.id ?? randomUUID(),
      Date.now(),
    );
    if (options.json) process.stdout.write(`${JSON.stringify(sent, null, 2)}\n`);
    else
      process.stdout.write(
        sent.delivered
          ? `sent signal ${name} (${sent.signalId}) to run ${sent.runId}\n`
          : `signal ${name} (${sent.signalId}) was already sent to run ${sent.runId}; nothing changed\n`,
      );
    return EXIT.OK;
  } catch (e) {
    return usageFailure(e);
  } finally {
    await store?.close();
  }
}
