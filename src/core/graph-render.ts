/** Text renderings of a workflow's DAG: Mermaid (for Markdown) and Graphviz DOT. */
import type { WorkflowDefinition } from "./workflow.js";

/** Graph text formats. */
export type GraphFormat = "mermaid" | "dot";

function mermaidId(id: string): string {
  return `s_${id.replace(/[^A-Za-z0-9_]/g, (c) => `_${c.charCodeAt(0).toString(16)}_`)}`;
}

function escapeLabel(text: string): string {
  return text.replace(/"/g, "#quot;");
}

/** The workflow's steps and dependencies as Mermaid or DOT text. */
export function renderGraph(workflow: WorkflowDefinition, format: GraphFormat): string {
  const lines: string[] = [];
  if (format === "mermaid") {
    lines.push("flowchart TD");
    for (const s of workflow.steps)
      lines.push(`  ${mermaidId(s.id)}["${escapeLabel(s.id)} (${s.language})"]`);
    for (const s of workflow.steps)
      for (const d of s.dependsOn) lines.push(`  ${mermaidId(d)} --> ${mermaidId(s.id)}`);
  } else {
    lines.push(
      `digraph ${JSON.stringify(workflow.name)} {`,
      "  rankdir=TB;",
      "  node [shape=box, style=rounded];",
    );
    for (const s of workflow.steps)
      lines.push(`  ${JSON.stringify(s.id)} [label=${JSON.stringify(`${s.id}\n${s.language}`)}];`);
    for (const s of workflow.steps)
      for (const d of s.dependsOn) lines.push(`  ${JSON.stringify(d)} -> ${JSON.stringify(s.id)};`);
    lines.push("}");
  }
  return `${lines.join("\n")}\n`;
}
