/**
 * The live DAG: an SVG of the workflow's steps in layers, each node showing its language
 * and its state as the run goes (pending, running, retrying, succeeded, failed, skipped,
 * cancelled); edges light up as data flows. Clicking a node selects its step.
 */
import type { RunEvent } from "../core/events.js";
import { waitTargetText } from "../core/waiting-status.js";
import { layoutDag, NODE } from "./dag-layout.js";
import { formatMs, s } from "./dom.js";

/** What the view shows of a step. */
export type NodeState = "pending" | "running" | "retrying" | "succeeded" | "failed" | "skipped" | "cancelled";

/** A step to draw. */
export interface DagStep {
  readonly id: string;
  readonly language: string;
  readonly dependsOn: readonly string[];
  /** A CEL condition: the node is marked `if` and its title shows it. */
  readonly when?: string | undefined;
  /** A CEL list: the node is drawn stacked, marked `for each`. */
  readonly forEach?: string | undefined;
  /** A trigger rule other than all_success: marked on the node. */
  readonly triggerRule?: string | undefined;
  /** The sub-workflow the step runs (its path): marked on the node. */
  readonly workflow?: string | undefined;
}

/** The node's badge: for each, if, and a trigger rule other than the default. */
function badgeOf(step: DagStep): string {
  const parts: string[] = [];
  if (step.workflow !== undefined) parts.push("sub-workflow");
  if (step.forEach !== undefined) parts.push("for each");
  if (step.when !== undefined) parts.push("if");
  if (step.triggerRule !== undefined && step.triggerRule !== "all_success") parts.push(step.triggerRule);
  return parts.join(" · ");
}

/** The node's tooltip head: its id, language and control-flow expressions. */
function describe(step: DagStep): string {
  const lines = [`${step.id} (${step.language})`];
  if (step.workflow !== undefined) lines.push(`workflow: ${step.workflow}`);
  if (step.forEach !== undefined) lines.push(`for_each: ${step.forEach}`);
  if (step.when !== undefined) lines.push(`when: ${step.when}`);
  if (step.triggerRule !== undefined) lines.push(`trigger_rule: ${step.triggerRule}`);
  return lines.join("\n");
}

const MARK: Record<NodeState, string> = {
  pending: "○",
  running: "◉",
  retrying: "↻",
  succeeded: "✓",
  failed: "✗",
  skipped: "⤼",
  cancelled: "■",
};

// Room for the id beside the language name on the node's first line (the full id is in its title).
const MAX_LABEL = 16;

function clip(text: string): string {
  return text.length > MAX_LABEL ? `${text.slice(0, MAX_LABEL - 1)}…` : text;
}

/**
 * Sets an SVG text, cut with an ellipsis where it would run past `width` pixels (a long
 * signal name in "running · signal NAME"); the node's title and the step's card say it whole.
 */
function fitText(el: SVGTextElement, text: string, width: number): void {
  el.textContent = text;
  // Measurable only once drawn (not in a detached tree, nor where layout is not computed).
  if (!el.isConnected || typeof el.getComputedTextLength !== "function") return;
  let cut = text.length;
  while (cut > 1 && el.getComputedTextLength() > width) el.textContent = `${text.slice(0, --cut)}…`;
}

interface DrawnNode {
  readonly group: SVGGElement;
  readonly status: SVGTextElement;
  readonly title: SVGTitleElement;
  readonly id: string;
  /** What the tooltip says before the state. */
  readonly head: string;
}

/** The SVG graph of one workflow. */
export class DagView {
  readonly #host: HTMLElement;
  readonly #onSelect: (id: string) => void;
  #nodes = new Map<string, DrawnNode>();
  #edges: { from: string; to: string; path: SVGPathElement }[] = [];
  #states = new Map<string, NodeState>();
  #selected: string | undefined;

  constructor(host: HTMLElement, onSelect: (id: string) => void) {
    this.#host = host;
    this.#onSelect = onSelect;
  }

  /** Draws `steps`, all pending. */
  render(steps: readonly DagStep[]): void {
    const layout = layoutDag(steps);
    const svg = s("svg", {
      class: "dag",
      viewBox: `0 0 ${layout.width} ${layout.height}`,
      width: layout.width,
      height: layout.height,
      role: "img",
      "aria-label": `workflow graph of ${steps.length} steps`,
    });
    svg.append(
      s(
        "defs",
        {},
        s(
          "marker",
          {
            id: "arrow",
            viewBox: "0 0 10 10",
            refX: 9,
            refY: 5,
            markerWidth: 7,
            markerHeight: 7,
            orient: "auto",
          },
          s("path", { d: "M0,0 L10,5 L0,10 z", class: "arrow-head" }),
        ),
      ),
    );
    this.#edges = layout.edges.map((e) => {
      const path = s("path", { d: e.path, class: "edge", "marker-end": "url(#arrow)" });
      svg.append(path);
      return { from: e.from, to: e.to, path };
    });
    this.#nodes = new Map();
    this.#states = new Map();
    for (const step of steps) {
      const place = layout.nodes.get(step.id);
      if (!place) continue;
      const status = s("text", { x: 14, y: 38, class: "node-status" }, `${MARK.pending} pending`);
      const title = s("title", {}, `${describe(step)}: pending`);
      const badge = badgeOf(step);
      const flow = [
        step.forEach !== undefined ? "for-each" : "",
        step.when !== undefined ? "conditional" : "",
      ]
        .filter(Boolean)
        .join(" ");
      const group = s(
        "g",
        {
          class: `node pending${flow ? ` ${flow}` : ""}`,
          transform: `translate(${place.x},${place.y})`,
          "data-step": step.id,
          tabindex: 0,
          role: "button",
        },
        title,
        // A for_each step is drawn as a stack: a box behind its own.
        ...(step.forEach !== undefined
          ? [
              s("rect", {
                x: 4,
                y: -4,
                width: NODE.width,
                height: NODE.height,
                rx: 8,
                class: "node-box node-stack",
              }),
            ]
          : []),
        s("rect", { width: NODE.width, height: NODE.height, rx: 8, class: "node-box" }),
        s("rect", { width: 6, height: NODE.height, rx: 3, class: `lang-bar lang-${step.language}` }),
        s("text", { x: 14, y: 20, class: "node-id" }, clip(step.id)),
        s("text", { x: NODE.width - 8, y: 20, class: "node-lang", "text-anchor": "end" }, step.language),
        status,
        // A line of its own: beside the state, "sub-workflow · for each" and "succeeded · 7.53 s" overlap.
        ...(badge ? [s("text", { x: 14, y: 53, class: "node-flow" }, badge)] : []),
      );
      group.addEventListener("click", () => this.#onSelect(step.id));
      group.addEventListener("keydown", (e) => {
        if (e.key === "Enter" || e.key === " ") this.#onSelect(step.id);
      });
      svg.append(group);
      this.#nodes.set(step.id, { group, status, title, id: step.id, head: describe(step) });
      this.#states.set(step.id, "pending");
    }
    this.#host.replaceChildren(svg);
    if (this.#selected) this.select(this.#selected);
  }

  /** Shows a step's state; `detail` (e.g. a duration or attempt) follows the state's name. */
  setState(id: string, state: NodeState, detail?: string): void {
    const node = this.#nodes.get(id);
    if (!node) return;
    this.#states.set(id, state);
    node.group.classList.remove(...Object.keys(MARK));
    node.group.classList.add(state);
    const text = `${MARK[state]} ${state}${detail ? ` · ${detail}` : ""}`;
    fitText(node.status, text, NODE.width - 22);
    node.title.textContent = `${node.head}: ${text}`;
    for (const edge of this.#edges) {
      const from = this.#states.get(edge.from);
      const to = this.#states.get(edge.to);
      edge.path.classList.toggle("done", from === "succeeded");
      edge.path.classList.toggle("active", from === "succeeded" && (to === "running" || to === "retrying"));
      edge.path.classList.toggle("blocked", from === "failed" || from === "skipped" || from === "cancelled");
    }
  }

  /** Shows a finished step's state with its duration. */
  finish(id: string, state: NodeState, durationMs: number | null): void {
    this.setState(id, state, durationMs === null ? undefined : formatMs(durationMs));
  }

  /** Shows what a run event tells of a step's state. */
  onEvent(event: RunEvent): void {
    switch (event.type) {
      case "run-started":
        for (const [id, status] of Object.entries(event.settled ?? {})) this.setState(id, status, "kept");
        break;
      case "step-started": {
        // Short: the node is narrow (the step's card says it in full).
        const wait = event.wait && waitTargetText(event.wait);
        const detail = wait
          ? wait === "time"
            ? "sleep"
            : wait
          : event.attempt > 1
            ? `attempt ${event.attempt}`
            : undefined;
        this.setState(event.stepId, "running", detail);
        break;
      }
      case "step-retrying":
        this.setState(event.stepId, "retrying", `attempt ${event.attempt} failed`);
        break;
      case "step-succeeded":
        this.finish(event.stepId, "succeeded", event.durationMs);
        break;
      case "step-failed":
        this.setState(event.stepId, "failed", event.error.name);
        break;
      case "step-skipped":
      case "step-cancelled":
        this.setState(event.stepId, event.type === "step-skipped" ? "skipped" : "cancelled");
        break;
      default:
        break;
    }
  }

  /** Highlights the selected step. */
  select(id: string | undefined): void {
    this.#selected = id;
    for (const node of this.#nodes.values()) node.group.classList.toggle("selected", node.id === id);
  }

  /** Every step's state now (for tests and the status line). */
  states(): ReadonlyMap<string, NodeState> {
    return this.#states;
  }
}
