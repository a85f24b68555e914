/**
 * One run in the dashboard: the live DAG and the step cards of the playground, fed by the
 * run's event stream (from its first event, so a finished run is drawn the same way),
 * with cancel and rerun buttons, and Approve / Deny while an approval step waits.
 */
import type { RunEvent, RunReport } from "../../browser.js";
import { queuedText, runUnderWay } from "../../core/waiting-status.js";
import { followRunEvents } from "../../server/sse-client.js";
import { ApprovalButtons } from "../approval-buttons.js";
import { type DagStep, DagView } from "../dag-view.js";
import { byId, formatMs } from "../dom.js";
import { RunView } from "../run-view.js";
import { call, sessionToken } from "./api-client.js";

interface RunWorkflow {
  readonly name: string;
  readonly parentRun?: string;
  readonly steps: DagStep[];
}

/** The detail pane. */
export class RunDetail {
  readonly #dag: DagView;
  readonly #steps: RunView;
  readonly #cancel = byId<HTMLButtonElement>("cancel");
  readonly #rerun = byId<HTMLButtonElement>("rerun");
  readonly #rerunFrom = byId<HTMLButtonElement>("rerun-from");
  readonly #delete = byId<HTMLButtonElement>("delete");
  readonly #status = byId("run-status");
  readonly #onError: (e: unknown) => void;
  readonly #onRerun: (runId: string) => void;
  readonly #onDeleted: () => void;
  readonly #approvals: ApprovalButtons;
  #runId: string | undefined;
  #selected: string | undefined;
  #follow: AbortController | undefined;

  /** `onRerun`: a new run was started from this one; `onDeleted`: the run shown was deleted. */
  constructor(onError: (e: unknown) => void, onRerun: (runId: string) => void, onDeleted: () => void) {
    this.#onError = onError;
    this.#onRerun = onRerun;
    this.#onDeleted = onDeleted;
    this.#approvals = new ApprovalButtons(
      {
        report: (runId) => call<RunReport>("GET", `/api/runs/${runId}`),
        signal: (runId, name, data) => call("POST", `/api/runs/${runId}/signals/${name}`, data),
      },
      "dashboard",
      onError,
      // While it runs, the badge says whether it only waits (as the runs list does).
      (status) => {
        if (runUnderWay(status)) this.#setStatus(status);
      },
    );
    this.#dag = new DagView(byId("dag"), (id) => this.#select(id));
    this.#steps = new RunView(byId("steps"), byId("report"));
    this.#cancel.addEventListener("click", () => void this.#act("cancel"));
    this.#rerun.addEventListener("click", () => void this.#act("rerun"));
    this.#delete.addEventListener("click", () => void this.#deleteRun());
    this.#rerunFrom.addEventListener("click", () => void this.#act("rerun", this.#selected));
  }

  /** The run shown, if any. */
  get runId(): string | undefined {
    return this.#runId;
  }

  /** Shows run `runId` and follows it live until it finishes. */
  async show(runId: string): Promise<void> {
    this.#follow?.abort();
    const follow = new AbortController();
    this.#follow = follow;
    this.#runId = runId;
    this.#selected = undefined;
    byId("detail").hidden = false;
    byId("detail").dataset.run = runId;
    const workflow = await call<RunWorkflow>("GET", `/api/runs/${runId}/workflow`);
    if (follow.signal.aborted) return;
    byId("run-title").textContent = `${workflow.name} · ${runId.slice(0, 8)}`;
    this.#showParent(workflow.parentRun);
    this.#dag.render(workflow.steps);
    this.#steps.reset(workflow.steps);
    this.#setStatus("running");
    this.#status.title = "";
    this.#approvals.watch(runId);
    try {
      const finished = await followRunEvents(runId, (event) => this.#onEvent(event), {
        baseUrl: "",
        token: sessionToken(),
        signal: follow.signal,
      });
      if (finished && !follow.signal.aborted) this.#finish(finished.report);
    } catch (e) {
      if (!follow.signal.aborted) this.#onError(e);
    }
  }

  /** A link to the run whose sub-workflow step started this one, if any. */
  #showParent(parentRun: string | undefined): void {
    const button = byId<HTMLButtonElement>("parent-run");
    button.hidden = parentRun === undefined;
    if (parentRun === undefined) return;
    button.textContent = `started by run ${parentRun.slice(0, 8)}`;
    button.onclick = () => this.#onRerun(parentRun);
  }

  #onEvent(event: RunEvent): void {
    // The badge says queued; its tooltip what for, until the run starts.
    if (event.type === "run-queued") {
      this.#setStatus("queued");
      this.#status.title = queuedText(event.key, event.maxRuns);
    } else if (event.type === "run-started") this.#status.title = "";
    this.#steps.onEvent(event);
    this.#dag.onEvent(event);
  }

  #finish(report: RunReport): void {
    this.#approvals.stop();
    for (const [id, step] of Object.entries(report.steps)) {
      if (step.status === "pending") continue;
      this.#dag.finish(id, step.status === "running" ? "running" : step.status, step.durationMs);
    }
    this.#setStatus(report.status, `${report.status} in ${formatMs(report.durationMs)}`);
  }

  #setStatus(status: string, text = status): void {
    this.#status.textContent = text;
    this.#status.className = `run-status ${status}`;
    const running = runUnderWay(status);
    this.#cancel.disabled = !running;
    this.#rerun.disabled = running;
    this.#delete.disabled = running;
    this.#rerunFrom.disabled = running || this.#selected === undefined;
  }

  #select(id: string): void {
    this.#selected = id;
    this.#dag.select(id);
    this.#steps.select(id);
    this.#rerunFrom.textContent = `Rerun from ${id}`;
    this.#rerunFrom.disabled = !this.#cancel.disabled;
  }

  /** Deletes the run shown, once confirmed, and closes the pane. */
  async #deleteRun(): Promise<void> {
    const runId = this.#runId;
    if (!runId || !confirm(`Delete run ${runId.slice(0, 8)} and its journal? This cannot be undone.`)) return;
    try {
      await call("DELETE", `/api/runs/${runId}`);
      this.#follow?.abort();
      this.#approvals.stop();
      this.#runId = undefined;
      byId("detail").hidden = true;
      this.#onDeleted();
    } catch (e) {
      this.#onError(e);
    }
  }

  async #act(what: "cancel" | "rerun", from?: string): Promise<void> {
    const runId = this.#runId;
    if (!runId) return;
    try {
      if (what === "cancel") {
        this.#cancel.disabled = true;
        await call("POST", `/api/runs/${runId}/cancel`);
      } else {
        const body = from !== undefined ? { from } : {};
        const { runId: next } = await call<{ runId: string }>("POST", `/api/runs/${runId}/rerun`, body);
        this.#onRerun(next);
      }
    } catch (e) {
      this.#onError(e);
    }
  }
}
