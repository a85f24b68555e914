/**
 * Approve / Deny for a run that waits for an approval, in the dashboard (over the server's
 * API) and in the playground (on the page's engine): the watched run's report is read every
 * second while it runs, and the buttons show while an approval step waits. A click sends
 * the signal `approval` with `{approved, by}`.
 */
import type { RunReport } from "../browser.js";
import { runUnderWay } from "../core/waiting-status.js";
import { byId } from "./dom.js";

/** Where the buttons read a run's report and send its signals. */
export interface RunAccess {
  report(runId: string): Promise<RunReport>;
  signal(runId: string, name: string, data: unknown): Promise<unknown>;
}

const POLL_MS = 1000;

/** The approval buttons of the detail pane. */
export class ApprovalButtons {
  readonly #approve = byId<HTMLButtonElement>("approve");
  readonly #deny = byId<HTMLButtonElement>("deny");
  readonly #onError: (e: unknown) => void;
  readonly #runs: RunAccess;
  readonly #by: string;
  readonly #onStatus: (status: RunReport["status"]) => void;
  #runId: string | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;

  /**
   * `by` names who decides in the approval's data (`dashboard`, `playground`); `onStatus` is
   * told the watched run's status at each read (`waiting` while all it does is wait).
   */
  constructor(
    runs: RunAccess,
    by: string,
    onError: (e: unknown) => void,
    onStatus: (status: RunReport["status"]) => void = () => {},
  ) {
    this.#runs = runs;
    this.#by = by;
    this.#onError = onError;
    this.#onStatus = onStatus;
    this.#approve.addEventListener("click", () => void this.#decide(true));
    this.#deny.addEventListener("click", () => void this.#decide(false));
  }

  /** Watches `runId` until it finishes or another run is watched. */
  watch(runId: string): void {
    this.stop();
    this.#runId = runId;
    void this.#poll(runId);
  }

  /** Hides the buttons and stops watching. */
  stop(): void {
    clearTimeout(this.#timer);
    this.#runId = undefined;
    this.#show(false);
  }

  #show(on: boolean): void {
    this.#approve.hidden = !on;
    this.#deny.hidden = !on;
    this.#approve.disabled = !on;
    this.#deny.disabled = !on;
  }

  async #poll(runId: string): Promise<void> {
    try {
      const report = await this.#runs.report(runId);
      if (this.#runId !== runId) return;
      this.#show(report.waiting?.some((w) => w.for === "approval") ?? false);
      this.#onStatus(report.status);
      if (!runUnderWay(report.status)) return;
    } catch (e) {
      if (this.#runId === runId) this.#onError(e);
      return;
    }
    this.#timer = setTimeout(() => void this.#poll(runId), POLL_MS);
  }

  async #decide(approved: boolean): Promise<void> {
    const runId = this.#runId;
    if (!runId) return;
    this.#approve.disabled = true;
    this.#deny.disabled = true;
    try {
      await this.#runs.signal(runId, "approval", { approved, by: this.#by });
    } catch (e) {
      this.#onError(e);
    }
  }
}
