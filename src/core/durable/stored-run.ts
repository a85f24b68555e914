/**
 * Reading stored runs: run ids by unique prefix (as git does), the report of a stored run
 * (finished or not), and which steps a rerun runs again.
 */

import { compensationId } from "../compensation.js";
import { descendantsOf } from "../dag.js";
import { FanOut, itemId } from "../for-each.js";
import type { RunReport } from "../report.js";
import { buildReport, createStepStates, type Phase } from "../step-state.js";
import { withWaitingStatus } from "../waiting-status.js";
import type { WorkflowDefinition } from "../workflow.js";
import type { JournalEntry, RunSummary, StoredRunStatus } from "./journal.js";
import { applyRecorded, foldSteps, type RecordedStatus, type RecordedStep } from "./run-state.js";
import { RunNotFoundError, RunStateError, type Store, type StoredRun } from "./store.js";

const PHASE_OF: Readonly<Record<RecordedStatus, Phase>> = {
  pending: "pending",
  running: "running",
  retrying: "retry-wait",
  succeeded: "succeeded",
  failed: "failed",
  skipped: "skipped",
  cancelled: "cancelled",
};

/**
 * The full id of the run `idOrPrefix` names.
 * @throws RunNotFoundError when it names no run or several.
 */
export async function resolveRunId(store: Store, idOrPrefix: string): Promise<string> {
  if (idOrPrefix.length === 0) throw new RunNotFoundError("a run id must not be empty");
  const ids = await store.findRunIds(idOrPrefix, 5);
  if (ids.length === 1) return ids[0] as string;
  if (ids.length === 0) throw new RunNotFoundError(`no run '${idOrPrefix}' in ${store.label}`);
  if (ids.includes(idOrPrefix)) return idOrPrefix;
  throw new RunNotFoundError(
    `run id '${idOrPrefix}' is ambiguous in ${store.label}: it starts ${ids.join(", ")}${ids.length === 5 ? ", ..." : ""}; give more of it`,
  );
}

/** A stored run, by id or unique prefix. */
export async function loadRun(store: Store, idOrPrefix: string): Promise<StoredRun> {
  const runId = await resolveRunId(store, idOrPrefix);
  const run = await store.getRun(runId);
  if (!run) throw new RunNotFoundError(`no run '${runId}' in ${store.label}`);
  return run;
}

/**
 * Deletes one finished run with its journal, signals and the stored files only it named
 * (`sandflow delete`, `DELETE /api/runs/{id}`); resolves with its id.
 * @throws RunNotFoundError for no such run; RunStateError for one that has not finished, or
 * a sub-workflow run whose parent has not (it reads the child's report when resumed).
 */
export async function deleteRun(store: Store, idOrPrefix: string): Promise<string> {
  const run = await loadRun(store, idOrPrefix);
  const runId = run.record.runId;
  if (run.status === "running" || run.status === "interrupted")
    throw new RunStateError(
      `run ${runId} has not finished (${run.status}): ${run.status === "running" ? "cancel it" : "resume it and let it end, or cancel it"} before deleting it`,
    );
  const done = await store.prune({ finishedBefore: Number.MAX_SAFE_INTEGER, runIds: [runId] });
  if (done.runs === 1) return runId;
  throw new RunStateError(
    `run ${runId} is a sub-workflow run of run ${run.record.parentRun ?? "?"}, which has not finished: delete it once that run has`,
  );
}

/** The items of a for_each step as its journal recorded them (`undefined` before its list was known). */
function recordedItems(stepId: string, recorded: ReadonlyMap<string, RecordedStep>): FanOut | undefined {
  let n = 0;
  while (recorded.has(itemId(stepId, n))) n++;
  const step = recorded.get(stepId);
  // A finished step's output is its item list: its length counts items not recorded (none ran).
  if (step?.status === "succeeded" && step.outputJson)
    n = Math.max(n, (JSON.parse(step.outputJson) as unknown[]).length);
  if (n === 0 && step?.status !== "succeeded") return undefined;
  const fanout = new FanOut(new Array<string>(n).fill("null"), 1, 0);
  for (let i = 0; i < n; i++) {
    const r = recorded.get(itemId(stepId, i));
    if (!r) continue;
    const status = r.status === "succeeded" || r.status === "failed" ? r.status : "pending";
    Object.assign(fanout.records[i] as object, {
      status,
      outputJson: r.outputJson,
      error: r.error,
      attempts: r.attempts,
    });
  }
  return fanout;
}

/** The report of a stored run: as `run --json` prints it, also for an unfinished run. */
export function storedReport(run: StoredRun, now: number): RunReport {
  const { states } = createStepStates(run.record.workflow);
  const recorded = foldSteps(run.entries);
  for (const s of states) {
    if (s.def.forEach !== undefined) s.fanout = recordedItems(s.def.id, recorded);
    const c = s.def.compensate ? recorded.get(compensationId(s.def.id)) : undefined;
    if (c && (c.status === "succeeded" || c.status === "failed"))
      s.compensation = { status: c.status, outputJson: c.outputJson, error: c.error };
    const r = recorded.get(s.def.id);
    if (!r) continue;
    s.phase = PHASE_OF[r.status];
    applyRecorded(s, r);
  }
  const { record } = run;
  const report = buildReport(
    record.workflow,
    record.runId,
    states,
    false,
    record.createdAt,
    run.finishedAt ?? (run.status === "interrupted" ? lastActivity(run) : now),
    {
      status: run.status,
      rerunOf: record.rerunOf,
      parentRun: record.parentRun,
      params: record.params,
    },
  );
  const key = report.status === "running" ? queuedKey(run.entries) : undefined;
  if (key !== undefined)
    return { ...report, status: "queued", queued: { key, maxRuns: record.workflow.maxRuns ?? 1 } };
  return withWaitingStatus(report, record.workflow, run.entries);
}

/**
 * When an interrupted run was last seen doing something: its last journal entry (its
 * process died some time after; the time since then is not the run's).
 */
function lastActivity(run: StoredRun): number {
  let last = run.record.createdAt;
  for (const e of run.entries) if (e.time > last) last = e.time;
  return last;
}

/** Whether a run of `workflow` can be `waiting` or `queued`. */
function canWaitOrQueue(workflow: WorkflowDefinition): boolean {
  return workflow.concurrencyKey !== undefined || workflow.steps.some((s) => s.wait !== undefined);
}

/** The concurrency key the run waits for a place under, if it waits for one. */
function queuedKey(entries: readonly JournalEntry[]): string | undefined {
  let key: string | undefined;
  for (const e of entries) {
    if (e.type === "run-queued") key = e.key;
    else if (e.type === "run-admitted" || e.type === "run-resumed") key = undefined;
  }
  return key;
}

/**
 * `runs` with each running run that only waits listed as `waiting`, and each that waits for a
 * place among the runs with its concurrency key as `queued` (its journal is read for it).
 * `plain`, when given, remembers the runs whose workflow can do neither (no wait step, no
 * concurrency key), so that listing them again (a dashboard polls) reads no journal.
 */
export async function withWaitingRuns(
  store: Store,
  runs: readonly RunSummary[],
  now: number,
  plain?: Set<string>,
): Promise<RunSummary[]> {
  return Promise.all(
    runs.map(async (summary) => {
      if (summary.status !== "running" || plain?.has(summary.runId)) return summary;
      const run = await store.getRun(summary.runId);
      if (!run) return summary;
      if (!canWaitOrQueue(run.record.workflow)) {
        // Its report would say "running": no need to build it.
        if (plain) {
          if (plain.size >= 10_000) plain.clear();
          plain.add(summary.runId);
        }
        return summary;
      }
      const { status } = storedReport(run, now);
      return status === "waiting" || status === "queued" ? { ...summary, status } : summary;
    }),
  );
}

/**
 * The filters of run lists (`sandflow runs --status`, `GET /api/runs?status=`), in the order
 * messages list them: a stored status, or `waiting` or `queued` (running runs whose report
 * says so).
 */
export const RUN_LIST_STATUSES = [
  "running",
  "waiting",
  "queued",
  "interrupted",
  "succeeded",
  "failed",
  "cancelled",
] as const satisfies readonly (StoredRunStatus | "waiting" | "queued")[];

/** One of {@link RUN_LIST_STATUSES}. */
export type RunListStatus = (typeof RUN_LIST_STATUSES)[number];

/**
 * Recent runs, newest first, waiting and queued ones told apart from running ones; with
 * `status` only those. `running` keeps listing the waiting and queued ones too. Waiting and
 * queued runs are found among the 1,000 newest running ones.
 */
export async function listRunsWithStatus(
  store: Store,
  query: { readonly status?: RunListStatus | undefined; readonly limit: number },
  now: number,
  plain?: Set<string>,
): Promise<RunSummary[]> {
  const derived = query.status === "waiting" || query.status === "queued";
  const status: StoredRunStatus | undefined = derived
    ? "running"
    : (query.status as StoredRunStatus | undefined);
  const listed = await store.listRuns({
    limit: derived ? Math.max(query.limit, 1000) : query.limit,
    ...(status ? { status } : {}),
  });
  const runs = await withWaitingRuns(store, listed, now, plain);
  return derived ? runs.filter((r) => r.status === query.status).slice(0, query.limit) : runs;
}

/** What a rerun starts from: the kept results (as journal entries of the new run) and the steps that run again. */
export interface RerunPlan {
  readonly prior: Map<string, RecordedStep>;
  readonly kept: JournalEntry[];
}

/**
 * Plans a rerun of `run`: without `from`, the steps that did not succeed and everything
 * downstream of them run again; with `from`, that step and everything downstream of it.
 * The other steps keep their recorded results.
 * @throws RunStateError when the run is still running or `from` names no step.
 */
export function planRerun(run: StoredRun, from: string | undefined, now: number): RerunPlan {
  const { workflow, runId } = run.record;
  if (run.status === "running")
    throw new RunStateError(`run ${runId} is still running; wait for it or cancel it before a rerun`);
  const recorded = foldSteps(run.entries);
  const deps = new Map(workflow.steps.map((s) => [s.id, s.dependsOn]));
  const again = new Set<string>();
  if (from !== undefined) {
    if (!deps.has(from))
      throw new RunStateError(
        `--from: run ${runId} has no step '${from}' (its steps: ${workflow.steps.map((s) => s.id).join(", ")})`,
      );
    again.add(from);
  }
  for (const s of workflow.steps) if (recorded.get(s.id)?.status !== "succeeded") again.add(s.id);
  for (const id of [...again]) for (const d of descendantsOf(id, deps)) again.add(d);
  const prior = new Map<string, RecordedStep>();
  const kept: JournalEntry[] = [];
  const keep = (id: string, r: RecordedStep) => {
    const reusedFrom = r.reusedFrom ?? runId;
    prior.set(id, { ...r, reusedFrom, cached: false });
    kept.push({
      type: "step-succeeded",
      stepId: id,
      attempt: r.attempts,
      stdout: r.stdout,
      stderr: r.stderr,
      startedAt: r.startedAt ?? now,
      finishedAt: r.finishedAt ?? now,
      outputJson: r.outputJson ?? "null",
      files: r.files ?? { upserts: {}, deletes: [] },
      reusedFrom,
      time: now,
    });
  };
  for (const s of workflow.steps) {
    const r = recorded.get(s.id);
    if (again.has(s.id) || !r) continue;
    // A kept for_each step keeps its items too (they are in its report).
    if (s.forEach !== undefined)
      for (let i = 0, item = recorded.get(itemId(s.id, i)); item; item = recorded.get(itemId(s.id, ++i)))
        if (item.status === "succeeded") keep(itemId(s.id, i), item);
    keep(s.id, r);
  }
  return { prior, kept };
}
