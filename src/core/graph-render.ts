/**
 * Text renderings of a workflow's DAG: Mermaid (for Markdown) and Graphviz DOT. Control
 * flow shows: a `for_each` step is drawn stacked (Mermaid's subroutine box, DOT's double
 * border) with its list; a step with a `when` shows its condition; a trigger rule other
 * than `all_success` is written on the step and its incoming edges are dashed; a step
 * that runs a sub-workflow names it.
 */
import type { StepDefinition, WorkflowDefinition } from "./workflow.js";

/** Graph text formats. */
export type GraphFormat = "mermaid" | "dot";

function mermaidId(id: string): string {
  return `s_${id.replace(/[^A-Za-z0-9_]/g, (c) => `_${c.charCodeAt(0).toString(16)}_`)}`;
}

function escapeLabel(text: string): string {
  return text.replace(/"/g, "#quot;").replace(/</g, "#lt;").replace(/>/g, "#gt;");
}

/** Longest expression shown in a node (the full one is in the workflow file). */
const MAX_EXPRESSION = 60;

function shorten(text: string): string {
  const one = text.replace(/\s+/g, " ").trim();
  return one.length > MAX_EXPRESSION ? `${one.slice(0, MAX_EXPRESSION - 1)}…` : one;
}

/** The lines under a step's id and language: its for_each, condition and trigger rule. */
export function controlFlowLines(s: StepDefinition): string[] {
  const lines: string[] = [];
  if (s.subworkflow !== undefined) lines.push(`workflow: ${shorten(s.subworkflow.path)}`);
  if (s.forEach !== undefined)
    lines.push(`for each: ${shorten(s.forEach)}${s.maxParallel ? ` (max ${s.maxParallel})` : ""}`);
  if (s.when !== undefined) lines.push(`when: ${shorten(s.when)}`);
  if (s.repeat !== undefined) lines.push(`repeat until: ${shorten(s.repeat.until)} (max ${s.repeat.max})`);
  if (s.triggerRule !== undefined && s.triggerRule !== "all_success") lines.push(`trigger: ${s.triggerRule}`);
  return lines;
}

/** What a node says a step is: its language, or `workflow` for a step that runs one. */
export function kindOf(s: StepDefinition): string {
  return s.subworkflow ? "workflow" : s.wait ? "wait" : s.language;
}

function dashed(s: StepDefinition): boolean {
  return s.triggerRule !== undefined && s.triggerRule !== "all_success";
}

/** The workflow's steps and dependencies as Mermaid or DOT text. */
export function renderGraph(workflow: WorkflowDefinition, format: GraphFormat): string {
  const lines: string[] = [];
  if (format === "mermaid") {
    lines.push("flowchart TD");
    for (const s of workflow.steps) {
      const label = [`${s.id} (${kindOf(s)})`, ...controlFlowLines(s)].map(escapeLabel).join("<br>");
      const [open, close] = s.forEach !== undefined ? ["[[", "]]"] : ["[", "]"];
      lines.push(`  ${mermaidId(s.id)}${open}"${label}"${close}`);
    }
    for (const s of workflow.steps)
      for (const d of s.dependsOn)
        lines.push(`  ${mermaidId(d)} ${dashed(s) ? "-.->" : "-->"} ${mermaidId(s.id)}`);
  } else {
    lines.push(
      `digraph ${JSON.stringify(workflow.name)} {`,
      "  rankdir=TB;",
      "  node [shape=box, style=rounded];",
    );
    for (const s of workflow.steps) {
      const label = [s.id, kindOf(s), ...controlFlowLines(s)].join("\n");
      const extra = s.forEach !== undefined ? ", peripheries=2" : "";
      lines.push(`  ${JSON.stringify(s.id)} [label=${JSON.stringify(label)}${extra}];`);
    }
    for (const s of workflow.steps)
      for (const d of s.dependsOn)
        lines.push(`  ${JSON.stringify(d)} -> ${JSON.stringify(s.id)}${dashed(s) ? " [style=dashed]" : ""};`);
    lines.push("}");
  }
  return `${lines.join("\n")}\n`;
}
