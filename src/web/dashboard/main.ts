/**
 * The dashboard of `sandflow serve`: the runs list (refreshed every second), and the
 * selected run live (DAG, step logs, output and errors, cancel and rerun). Talks only to
 * its own server; a token, when the server needs one, is asked once and kept for the session.
 */
import "../style.css";
import "./dashboard.css";
import { byId, formatMs, h } from "../dom.js";
import { call, keepToken, Unauthorized } from "./api-client.js";
import { setUpNewRun } from "./new-run.js";
import { RunDetail } from "./run-detail.js";

interface RunSummary {
  readonly runId: string;
  readonly workflow: string;
  readonly status: string;
  readonly startedAt: number;
  readonly finishedAt: number | null;
}

const REFRESH_MS = 1000;
const status = byId("status");
const tokenForm = byId<HTMLFormElement>("token-form");

function showError(e: unknown): void {
  if (e instanceof Unauthorized) {
    tokenForm.hidden = false;
    status.textContent = "this server needs its token";
  } else status.textContent = e instanceof Error ? e.message : String(e);
  status.className = "status failed";
}

const detail = new RunDetail(
  showError,
  (runId) => void select(runId),
  () => {
    history.replaceState(null, "", location.pathname);
    void refresh();
  },
);

async function select(runId: string): Promise<void> {
  history.replaceState(null, "", `#${runId}`);
  await refresh();
  await detail.show(runId).catch(showError);
}

function row(run: RunSummary): HTMLTableRowElement {
  const took = run.finishedAt === null ? "" : formatMs(run.finishedAt - run.startedAt);
  const tr = h(
    "tr",
    { class: `run-row ${run.status}${run.runId === detail.runId ? " selected" : ""}`, "data-run": run.runId },
    h("td", { class: "run-id" }, run.runId.slice(0, 8)),
    h("td", {}, run.workflow),
    h("td", {}, h("span", { class: `run-status ${run.status}` }, run.status)),
    h("td", {}, new Date(run.startedAt).toLocaleTimeString()),
    h("td", {}, took),
  );
  tr.addEventListener("click", () => void select(run.runId));
  return tr;
}

async function refresh(): Promise<void> {
  try {
    const { runs } = await call<{ runs: RunSummary[] }>("GET", "/api/runs?limit=50");
    byId("runs").replaceChildren(...runs.map(row));
    byId("no-runs").hidden = runs.length > 0;
    tokenForm.hidden = true;
    status.textContent = `${runs.length} recent run${runs.length === 1 ? "" : "s"}`;
    status.className = "status idle";
  } catch (e) {
    showError(e);
  }
}

tokenForm.addEventListener("submit", (event) => {
  event.preventDefault();
  keepToken(byId<HTMLInputElement>("token").value.trim());
  void refresh().then(() => {
    const id = location.hash.slice(1);
    if (id) void detail.show(id).catch(showError);
  });
});

async function loop(): Promise<void> {
  await refresh();
  setTimeout(() => void loop(), REFRESH_MS);
}

setUpNewRun((runId) => void select(runId), showError);
void loop();
const initial = location.hash.slice(1);
if (initial) void detail.show(initial).catch(showError);
