import { describe, expect, it } from "vitest";
import { workflow } from "../../src/core/builder.js";
import { renderGraph } from "../../src/core/graph-render.js";

const wf = workflow("flow")
  .lua("list", "function run() return {1, 2} end")
  .lua("each", "function run() return sandflow.item end", {
    depends_on: ["list"],
    for_each: "inputs.list",
    max_parallel: 4,
  })
  .lua("maybe", "function run() return 1 end", {
    depends_on: ["list"],
    when: 'size(inputs.list) > 1 && "a" != "<b>"',
  })
  .lua("cleanup", "function run() return 1 end", { depends_on: ["each", "maybe"], trigger_rule: "all_done" })
  .build();

describe("graph of control flow", () => {
  it("Mermaid: for_each as a subroutine box, conditions and rules in the label, dashed edges into a rule", () => {
    const text = renderGraph(wf, "mermaid");
    expect(text).toContain('s_each[["each (lua)<br>for each: inputs.list (max 4)"]]');
    expect(text).toContain(
      's_maybe["maybe (lua)<br>when: size(inputs.list) #gt; 1 && #quot;a#quot; != #quot;#lt;b#gt;#quot;"]',
    );
    expect(text).toContain('s_cleanup["cleanup (lua)<br>trigger: all_done"]');
    expect(text).toContain("s_each -.-> s_cleanup");
    expect(text).toContain("s_list --> s_each");
    const loop = workflow("l")
      .lua("poll", "x", { repeat: { until: "output.done", max: 5 } })
      .build();
    expect(renderGraph(loop, "mermaid")).toContain(
      's_poll["poll (lua)<br>repeat until: output.done (max 5)"]',
    );
  });

  it("DOT: for_each with a double border, dashed edges into a rule", () => {
    const text = renderGraph(wf, "dot");
    expect(text).toContain('"each" [label="each\\nlua\\nfor each: inputs.list (max 4)", peripheries=2];');
    expect(text).toContain('"maybe" -> "cleanup" [style=dashed];');
    expect(text).toContain('"list" -> "maybe";');
  });
});
