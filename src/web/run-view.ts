/**
 * The run panel: one card per step with its state, attempts, timings (offset from the run's
 * start, duration, a bar on the run's timeline), live stdout/stderr, output and error; and
 * the full run report as JSON once the run ends.
 */
import type { RunEvent, RunReport, SerializedError, StepReport } from "../browser.js";
import { waitTargetText } from "../core/waiting-status.js";
import type { DagStep, NodeState } from "./dag-view.js";
import { formatMs, h } from "./dom.js";

/** Most characters of live log shown per step (the report keeps the whole output). */
const MAX_LOG_CHARS = 200_000;

interface Card {
  readonly root: HTMLElement;
  readonly status: HTMLElement;
  readonly attempts: HTMLElement;
  readonly timing: HTMLElement;
  readonly barFill: HTMLElement;
  readonly log: HTMLElement;
  readonly output: HTMLElement;
  readonly error: HTMLElement;
  logChars: number;
  startedAt: number | undefined;
}

/** Per-step details and the final report. */
export class RunView {
  readonly #list: HTMLElement;
  readonly #report: HTMLElement;
  #cards = new Map<string, Card>();
  #runStart: number | undefined;

  constructor(list: HTMLElement, report: HTMLElement) {
    this.#list = list;
    this.#report = report;
  }

  /** Empty cards for `steps`, before a run. */
  reset(steps: readonly DagStep[]): void {
    this.#cards = new Map();
    this.#runStart = undefined;
    this.#report.textContent = "The report appears here when the run ends.";
    const cards = steps.map((step) => {
      const card: Card = {
        root: h("article", { class: "step-card pending", "data-step": step.id }),
        status: h("span", { class: "card-status" }, "pending"),
        attempts: h("span", { class: "card-attempts" }),
        timing: h("span", { class: "card-timing" }),
        barFill: h("div", { class: "bar-fill" }),
        log: h("pre", { class: "log", hidden: true }),
        output: h("pre", { class: "output", hidden: true }),
        error: h("div", { class: "error", hidden: true }),
        logChars: 0,
        startedAt: undefined,
      };
      card.root.append(
        h(
          "header",
          {},
          h("span", { class: "card-id" }, step.id),
          h("span", { class: `card-lang lang-${step.language}` }, step.language),
          card.status,
          card.attempts,
          card.timing,
        ),
        h("div", { class: "bar" }, card.barFill),
        card.error,
        card.log,
        card.output,
      );
      this.#cards.set(step.id, card);
      return card.root;
    });
    this.#list.replaceChildren(...cards);
  }

  /** Updates the cards from one run event. */
  onEvent(event: RunEvent): void {
    if (event.type === "run-started") {
      this.#runStart = event.time;
      for (const [stepId, status] of Object.entries(event.settled ?? {})) {
        const card = this.#cards.get(stepId);
        if (!card) continue;
        this.#setStatus(card, status);
        card.timing.textContent = "kept from before";
      }
      return;
    }
    if (event.type === "run-finished") {
      this.finish(event.report);
      return;
    }
    if (event.type === "run-queued") return; // the run's badge says queued
    const card = this.#cards.get(event.stepId);
    if (!card) return;
    switch (event.type) {
      case "step-started":
        card.startedAt ??= event.time;
        this.#setStatus(card, "running");
        if (event.wait) {
          const what = waitTargetText(event.wait);
          card.status.textContent = what === "time" ? "sleeping" : `waiting for ${what}`;
        }
        card.attempts.textContent = `attempt ${event.attempt}`;
        card.timing.textContent = `started +${formatMs(event.time - (this.#runStart ?? event.time))}`;
        break;
      case "log":
        this.#appendLog(card, event.stream, event.text);
        break;
      case "step-retrying":
        this.#setStatus(card, "retrying");
        this.#appendLog(
          card,
          "stderr",
          `[attempt ${event.attempt} failed: ${event.error.name}: ${event.error.message}]\n`,
        );
        break;
      case "step-succeeded":
        this.#setStatus(card, "succeeded");
        break;
      case "step-failed":
        this.#setStatus(card, "failed");
        break;
      case "step-skipped":
        this.#setStatus(card, "skipped");
        break;
      case "step-cancelled":
        this.#setStatus(card, "cancelled");
        break;
      case "compensation-started":
        card.status.textContent = "succeeded · compensating";
        break;
      case "compensation-finished":
        this.#showCompensation(card, event);
        break;
    }
  }

  /** Fills every card from the report (the source of truth) and shows the report. */
  finish(report: RunReport): void {
    const total = Math.max(1, report.durationMs);
    for (const [id, step] of Object.entries(report.steps)) {
      const card = this.#cards.get(id);
      if (card) this.#fill(card, step, report.startedAt, total);
    }
    this.#report.textContent = JSON.stringify(report, null, 2);
  }

  /** Scrolls to and highlights a step's card. */
  select(id: string | undefined): void {
    for (const [cardId, card] of this.#cards) card.root.classList.toggle("selected", cardId === id);
    if (id) this.#cards.get(id)?.root.scrollIntoView({ block: "nearest", behavior: "smooth" });
  }

  #fill(card: Card, step: StepReport, runStart: number, total: number): void {
    this.#setStatus(card, step.status);
    card.attempts.textContent = `${step.attempts} attempt${step.attempts === 1 ? "" : "s"}`;
    if (step.startedAt !== null) {
      const offset = step.startedAt - runStart;
      card.timing.textContent = `+${formatMs(offset)} · ${formatMs(step.durationMs)}`;
      card.barFill.style.marginLeft = `${(100 * offset) / total}%`;
      card.barFill.style.width = `${Math.max(0.5, (100 * (step.durationMs ?? 0)) / total)}%`;
    } else card.timing.textContent = "not run";
    card.log.replaceChildren();
    card.logChars = 0;
    this.#appendLog(card, "stdout", step.stdout);
    this.#appendLog(card, "stderr", step.stderr);
    card.error.hidden = step.error === null;
    card.error.textContent = step.error ? `${step.error.name}: ${step.error.message}` : "";
    if (step.compensation) this.#showCompensation(card, step.compensation);
    card.output.hidden = step.status !== "succeeded";
    const compact = JSON.stringify(step.output);
    card.output.textContent = compact.length <= 100 ? compact : JSON.stringify(step.output, null, 2);
  }

  /** How the step's compensation ended: in the card's status, and why it failed in its log. */
  #showCompensation(
    card: Card,
    c: { readonly status: "succeeded" | "failed" | "cancelled"; readonly error?: SerializedError | null },
  ): void {
    card.status.textContent =
      c.status === "succeeded" ? "succeeded · compensated" : `succeeded · compensation ${c.status}`;
    if (c.error) this.#appendLog(card, "stderr", `[compensation: ${c.error.name}: ${c.error.message}]\n`);
  }

  #setStatus(card: Card, status: NodeState): void {
    card.root.className = `step-card ${status}${card.root.classList.contains("selected") ? " selected" : ""}`;
    card.status.textContent = status;
  }

  #appendLog(card: Card, stream: "stdout" | "stderr", text: string): void {
    if (!text || card.logChars >= MAX_LOG_CHARS) return;
    const room = MAX_LOG_CHARS - card.logChars;
    const shown = text.length > room ? `${text.slice(0, room)}\n[… more output in the report]\n` : text;
    card.logChars += shown.length;
    card.log.hidden = false;
    card.log.append(h("span", { class: stream }, shown));
  }
}
